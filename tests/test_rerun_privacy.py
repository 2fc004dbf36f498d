"""The privacy invariant through a person's re-run: whatever provider the re-run asks for,
whatever the task's declared level and the project's level when the new round is
dispatched (a careless ``by_privacy.sensitive`` included), a task that is sensitive when
it runs reaches only the local provider. A re-run that asks a cloud provider for a task
already sensitive is refused before anything is written."""

from __future__ import annotations

import itertools
from pathlib import Path

from engine_fixtures import engine_config, import_spec, make_repo, sim_calls, task
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convergio_tui.config.schema import PRIVACY_LEVELS
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.privacy import strictest
from convergio_tui.engine.rerun import RerunError, rerun_task
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Run, Task

CLOUD = ("claude", "copilot", "gemini")
_examples = itertools.count()


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(
    declared=st.sampled_from(PRIVACY_LEVELS),  # the task's own level
    at_dispatch=st.sampled_from(PRIVACY_LEVELS),  # the project's level when the rerun runs
    careless=st.booleans(),
    asked=st.none() | st.sampled_from([*CLOUD, "opencode"]),  # the re-run's --provider
)
# The cases that matter most, whatever hypothesis draws: accepted on a cloud provider, then
# sensitive at dispatch (careless routing too); refused as sensitive already; honoured.
@example(declared="public", at_dispatch="sensitive", careless=True, asked="claude")
@example(declared="internal", at_dispatch="sensitive", careless=False, asked="gemini")
@example(declared="sensitive", at_dispatch="public", careless=True, asked="copilot")
@example(declared="public", at_dispatch="public", careless=False, asked="gemini")
def test_a_rerun_never_sends_sensitive_work_to_a_cloud_provider(
    tmp_path: Path, sim_bin: Path, ollama: str, declared: str, at_dispatch: str,
    careless: bool, asked: str | None,
) -> None:  # fmt: skip
    n = next(_examples)
    where = tmp_path / f"ex{n}"
    repo = make_repo(where / "repo", {"README.md": "# x\n"})
    routing = {"by_privacy": {"sensitive": {"allowed_providers": [*CLOUD, "opencode"]}}}
    extra = {"routing": routing} if careless else {}
    thor = {"cross_review": True}
    before = engine_config(repo, ollama, project_privacy="public", thor=thor, **extra)  # type: ignore[arg-type]
    after = engine_config(repo, ollama, project_privacy=at_dispatch, thor=thor, **extra)  # type: ignore[arg-type]
    marker = f"MARK{n}RERUN"
    open_database(where / "c.db")
    try:
        prompt = f"{marker}\nSIM: append f.txt <<<{marker}\\n>>>"
        plan = import_spec(before, where, [[task("T0", prompt, privacy=declared)]])
        Executor(before, plan).run()
        t0 = Task.get(Task.plan == plan, Task.code == "T0")
        first_round = t0.round
        sensitive_at_rerun = strictest(["public", declared]) == "sensitive"
        try:
            rerun_task(t0.id, before, "tester", provider=asked, note=f"again {marker}")
        except RerunError as refused:
            # Refused only for a cloud provider asked for work that is sensitive already.
            assert refused.bad_input and sensitive_at_rerun and asked in CLOUD, refused
            assert Task.get_by_id(t0.id).round == first_round
            return
        seen = len(sim_calls(sim_bin))
        last_run = Run.select().order_by(Run.id.desc()).first().id
        Executor(after, plan).run()  # the project may have become sensitive meanwhile

        effective = strictest(["public", at_dispatch, declared])
        rerun_runs = Run.select().where(Run.task == t0.id, Run.id > last_run)
        assert rerun_runs.count() >= 1
        if effective == "sensitive":
            assert {r.provider for r in rerun_runs} == {"opencode"}
            reached = {
                c["name"] for c in sim_calls(sim_bin)[seen:] if marker in (c["prompt"] or "")
            }
            assert reached <= {"opencode"}, reached
            wave_runs = Run.select().where(Run.task.is_null(), Run.id > last_run)
            assert {r.provider for r in wave_runs} <= {"opencode"}
        elif effective == "public" and asked is not None:
            assert {r.provider for r in rerun_runs} == {asked}  # honoured where allowed
    finally:
        close_database()
