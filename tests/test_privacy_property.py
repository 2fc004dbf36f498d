"""The privacy invariant over whole engine runs: whatever the configuration (a careless
``by_privacy.sensitive`` included), the project's level at import and at dispatch, a
task's declared level and requested provider, Thor's rejections, a person's retry on a
cloud provider and the wave's cross-review, a sensitive task's prompt and work reach
only the local provider."""

from __future__ import annotations

import itertools
from pathlib import Path

from engine_fixtures import engine_config, import_spec, make_repo, sim_calls, task
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convergio_tui.config.schema import PRIVACY_LEVELS
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.privacy import strictest
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Escalation, Run, Task
from convergio_tui.thor.escalations import decide

CLOUD = ("claude", "copilot", "gemini")
_examples = itertools.count()

task_shapes = st.tuples(
    st.none() | st.sampled_from(PRIVACY_LEVELS),  # the task's declared privacy
    st.none() | st.sampled_from(CLOUD),  # the provider the plan asks for
    st.booleans(),  # rejected by Thor once (then escalated, retried by a person)
)


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(
    at_import=st.sampled_from(PRIVACY_LEVELS),
    at_dispatch=st.sampled_from(PRIVACY_LEVELS),
    careless=st.booleans(),
    shapes=st.lists(task_shapes, min_size=1, max_size=2),
    retry_on=st.sampled_from(CLOUD),
)
def test_sensitive_work_reaches_only_the_local_provider(
    tmp_path: Path, sim_bin: Path, ollama: str, at_import: str, at_dispatch: str,
    careless: bool, shapes: list[tuple[str | None, str | None, bool]], retry_on: str,
) -> None:  # fmt: skip
    n = next(_examples)
    where = tmp_path / f"ex{n}"
    repo = make_repo(where / "repo", {"README.md": "# x\n"})
    routing = {"by_privacy": {"sensitive": {"allowed_providers": [*CLOUD, "opencode"]}}}
    extra = {"routing": routing} if careless else {}
    thor = {"max_rounds": 1, "cross_review": True}
    before = engine_config(repo, ollama, project_privacy=at_import, thor=thor, **extra)  # type: ignore[arg-type]
    after = engine_config(repo, ollama, project_privacy=at_dispatch, thor=thor, **extra)  # type: ignore[arg-type]
    open_database(where / "c.db")
    try:
        specs = []
        for i, (level, agent, rejected) in enumerate(shapes):
            marker = f"MARK{n}X{i}"
            prompt = f"{marker} work\nSIM: write f{i}.txt <<<{marker}\\n>>>"
            if rejected:
                prompt = "SIM[round<2]: mode=fail\n" + prompt
            fields = {k: v for k, v in (("privacy", level), ("provider", agent)) if v}
            specs.append(task(f"T{i}", prompt, **fields))
        plan = import_spec(before, where, [specs])
        Executor(after, plan).run()  # the configuration changed between import and dispatch
        for esc in Escalation.select().where(Escalation.status == "pending"):
            decide(esc.id, "retry", "tester", provider=retry_on, config=after)
        Executor(after, plan).run()

        sensitive_markers = []
        for i, (level, _, _) in enumerate(shapes):
            effective = strictest([at_import, at_dispatch, level or at_import])
            code = f"T{i}"
            runs = Run.select().join(Task).where(Task.plan == plan, Task.code == code)
            if effective == "sensitive":
                sensitive_markers.append(f"MARK{n}X{i}")
                assert {r.provider for r in runs} <= {"opencode"}, code
                assert Task.get(Task.plan == plan, Task.code == code).privacy == "sensitive"
        calls = sim_calls(sim_bin)
        for marker in sensitive_markers:
            reached = {c["name"] for c in calls if marker in (c["prompt"] or "")}
            assert reached <= {"opencode"}, (marker, reached)
        if sensitive_markers:  # the wave's cross-review, if any, stayed local too
            wave_runs = Run.select().where(Run.task.is_null(), Run.wave.is_null(False))
            assert {r.provider for r in wave_runs} <= {"opencode"}
    finally:
        close_database()
