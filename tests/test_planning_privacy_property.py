"""The privacy invariant for planning, over configurations: whatever the routing rules say
(a careless ``by_privacy.sensitive``, a ``by_type.plan`` that prefers a cloud provider, a
project allow-list naming cloud CLIs), when the project is sensitive, by the configuration
or by what an earlier import stored, the goal and the repository's file tree reach only
the local provider, and no cloud CLI is started at all (not even for its health check)."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from pathlib import Path

import yaml
from engine_fixtures import engine_config, make_repo, sim_calls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convergio_tui.config.schema import PRIVACY_LEVELS
from convergio_tui.engine.planning.dispatch import check_health, planning_context, planning_target
from convergio_tui.engine.planning.draft import Brief, PlanningFailed, draft_plan
from convergio_tui.engine.planning.repo_view import read_repo_view
from convergio_tui.engine.privacy import strictest
from convergio_tui.engine.projects import resolve_project
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Project, Run

CLOUD = ("claude", "copilot", "gemini")
_examples = itertools.count()


def answer(project: str) -> str:
    plan = {"name": "p", "project": project, "waves": [{"name": "w", "tasks": [
        {"code": "T1", "title": "t", "type": "coding", "prompt": "do it"}]}]}  # fmt: skip
    body = ("```yaml\n" + yaml.safe_dump(plan) + "```").replace("\n", "\\n")
    return f"SIM: answer <<<{body}>>>"


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(
    configured=st.sampled_from(PRIVACY_LEVELS),
    stored=st.none() | st.sampled_from(PRIVACY_LEVELS),
    careless=st.booleans(),
    planner=st.sampled_from(CLOUD),
    allow_cloud=st.booleans(),
)
def test_sensitive_planning_reaches_only_the_local_provider(
    tmp_path: Path, sim_bin: Path, ollama: str, configured: str, stored: str | None,
    careless: bool, planner: str, allow_cloud: bool,
) -> None:  # fmt: skip
    n = next(_examples)
    where = tmp_path / f"ex{n}"
    repo = make_repo(where / "repo", {"README.md": "# x\n", f"MARKTREE{n}.txt": "x\n"})
    routing: dict[str, object] = {"by_type": {"plan": {"preferred_providers": [planner]}}}
    if careless:
        routing["by_privacy"] = {"sensitive": {"allowed_providers": [*CLOUD, "opencode"]}}
    limit = {"allowed_providers": [planner, "opencode"]} if allow_cloud else {}
    config = engine_config(repo, ollama, project_privacy=configured, routing=routing,
                           projects={"demo": {"path": str(repo), "privacy": configured, **limit}})  # fmt: skip
    sim_bin.unlink(missing_ok=True)
    open_database(where / "c.db")
    try:
        if stored is not None:  # what an earlier import stored for this directory
            Project.create(name="demo", path=str(repo.resolve()), privacy=stored)
        ref = resolve_project("demo", config, where / "plan.yaml")
        target = planning_target(config, ref)
        ctx = planning_context(config, target, threading.Event())
        check_health(ctx, target)
        view = read_repo_view(repo, config, "demo").render()
        brief = Brief(f"MARKGOAL{n}: a plan\n{answer('demo')}", "demo", where, view, "")
        # Blocked (no local provider fits) is fine: what matters is who was asked.
        with contextlib.suppress(PlanningFailed):
            draft_plan(ctx, target, brief)
        sensitive = strictest([configured, stored or configured]) == "sensitive"
        assert (target.privacy == "sensitive") == sensitive
        calls = sim_calls(sim_bin, "run")
        if sensitive:
            every = [json.loads(line)["name"] for line in sim_bin.read_text().splitlines()]
            assert set(every) <= {"opencode"}, every  # runs, --version, auth checks
            assert {r.provider for r in Run.select()} <= {"opencode"}
        for marker in (f"MARKGOAL{n}", f"MARKTREE{n}"):
            reached = {c["name"] for c in calls if marker in (c["prompt"] or "")}
            assert reached, marker  # the planner was asked, with the goal and the tree
            if sensitive:
                assert reached == {"opencode"}, (marker, reached)
    finally:
        close_database()
