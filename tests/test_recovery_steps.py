"""Recovery resumes at the step that was lost: ``convergio run`` is SIGKILLed at each step
of a task's life, run again to completion, and then each task's agent ran at most once
more than needed, each reported cost was charged exactly once, and the plan is done.

Every kill point is reached deterministically, never by sleeping: the agent holding
mid-run (its log shows a line it printed), a Thor verify command blocking on a file the
test creates, or the engine's test-only crash points (``CONVERGIO_TEST_CRASH_AT``,
``engine/recovery_hooks.py``) that end it with exit 137 exactly between two steps.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from engine_fixtures import (
    dump,
    engine_config,
    engine_config_dict,
    git,
    import_spec,
    sim_calls,
    start_run,
    uid,
    write_config,
)
from engine_fixtures import task as task_spec

from convergio_tui.engine import budget
from convergio_tui.engine.pricing import token_cost
from convergio_tui.engine.recovery_hooks import ENV as CRASH_AT
from convergio_tui.engine.recovery_log import partial_usage, rebuild
from convergio_tui.providers import claude
from convergio_tui.store.models import Event, GateResult, Ledger, Plan, Run, Task

COST = 0.05  # what the simulated claude reports for one finished run
PARTIAL_IN, PARTIAL_OUT = 20_000, 4_000  # what its stream reports before it finishes
USAGE_LINE = json.dumps({
    "type": "assistant", "session_id": "s-partial",
    "message": {"id": "msg_partial", "type": "message", "role": "assistant",
                "content": [{"type": "text", "text": "half way there"}],
                "usage": {"input_tokens": PARTIAL_IN, "output_tokens": PARTIAL_OUT}},
})  # fmt: skip
PROMPT = f"Fix it.\nSIM: cost={COST}\nSIM: write a.txt <<<a\\n>>>\nSIM: print <<<{USAGE_LINE}>>>"


def wait_for(predicate, what: str, engine: subprocess.Popen[str], timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``predicate()``; fail early (with its output) if the engine ended."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if engine.poll() is not None:
            out, err = engine.communicate()
            pytest.fail(f"engine ended (exit {engine.returncode}) before {what}:\n{out}\n{err}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def logged(home: Path, text: str) -> bool:
    """Some run log under ``home`` holds ``text``."""
    logs = home / "logs"
    return logs.is_dir() and any(text in p.read_text(errors="replace") for p in logs.rglob("*.log"))


def finish(cfg: Path, db: Path, plan: int) -> None:
    """Run the plan again to the end; it must succeed."""
    engine = start_run(cfg, db, plan)
    out, err = engine.communicate(timeout=180)
    assert engine.returncode == 0, f"{out}\n{err}\n{dump()}"


def charges(run_id: int) -> list[float]:
    """The ledger's charge rows of one run."""
    return [r.usd for r in Ledger.select().where(Ledger.run == run_id, Ledger.kind == "charge")]


def assert_plan_done_once(repo: Path, plan: int, config_budget) -> None:  # type: ignore[no-untyped-def]
    """The plan is done, its work merged once, no reservation left, the runs' cost rows
    agree with the ledger."""
    assert Plan.get_by_id(plan).status == "done", dump()
    assert Task.get(Task.code == "T1").status == "done"
    assert git(repo, "show", f"convergio/{uid(plan)}/wave-1:a.txt") == "a\n"
    merges = git(repo, "log", "--merges", "--format=%s", f"convergio/{uid(plan)}/wave-1")
    assert merges.count("Merge T1 ") == 1
    assert budget.status(config_budget).reserved_usd == 0.0
    assert not Run.select().where(Run.status == "running").exists()
    for run in Run.select():
        assert sum(charges(run.id)) == pytest.approx(run.cost_usd)


@pytest.fixture
def setup(repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A one-task plan on claude (P0) and its configuration file."""

    def make(verify: list[str] | None = None) -> tuple[Path, int]:
        cfg = write_config(tmp_path / "orchestrator.yaml", engine_config_dict(repo, ollama))
        fields = {"verify": verify} if verify else {}
        spec = task_spec("T1", PROMPT, priority="P0", **fields)
        return cfg, import_spec(engine_config(repo, ollama), tmp_path, [[spec]])

    return make


@pytest.mark.parametrize(
    ("step", "resumed_at"),
    [
        ("agent_exited", "after run"),  # the agent ended; nothing settled
        ("settled", "after run"),  # charged; the task still ``running``
        ("submitted", "commit"),  # before the commit on the task branch
        ("reviewed", "review"),  # Thor's verdicts recorded, not merged
        ("merged", None),  # merged, not accepted: accepted by recovery
    ],
)
def test_kill_between_steps_resumes_without_running_the_agent_again(
    setup, step: str, resumed_at: str | None, repo: Path, sim_bin: Path, ollama: str,
    engine_db: Path,
) -> None:  # fmt: skip
    cfg, plan = setup()
    first = start_run(cfg, engine_db, plan, {CRASH_AT: step})
    first.communicate(timeout=180)
    assert first.returncode == 137, dump()  # it died at that step, not after it

    finish(cfg, engine_db, plan)
    assert len(sim_calls(sim_bin)) == 1  # the agent ran once: nothing was run again
    (run,) = Run.select()
    assert run.status == "succeeded"
    assert charges(run.id) == [pytest.approx(COST)]  # the reported cost, charged once
    assert_plan_done_once(repo, plan, engine_config(repo, ollama).budget)
    (recovered,) = Event.select().where(Event.kind == "plan.recovered")
    if resumed_at is None:
        assert "accepted T1" in recovered.message
    else:
        assert f"resumed T1 at {resumed_at}" in recovered.message, recovered.message
    # One verdict per gate for the round: a cut-short review's verdicts were replaced.
    gates = [g.gate for g in GateResult.select().where(GateResult.task.is_null(False))]
    assert sorted(gates) == sorted(set(gates))


def test_kill_while_the_agent_runs_reruns_it_and_charges_what_it_had_reported(
    setup, repo: Path, sim_bin: Path, ollama: str, engine_db: Path, isolated_home: Path
) -> None:
    cfg, plan = setup()
    # The first agent prints its usage line, then holds for an hour.
    first = start_run(cfg, engine_db, plan, {"CONVERGIO_SIM_DELAY": "3600"})
    wait_for(lambda: logged(isolated_home, "msg_partial"), "the agent's usage line", first)
    first.send_signal(signal.SIGKILL)
    first.wait()

    finish(cfg, engine_db, plan)
    assert len(sim_calls(sim_bin)) == 2  # once cut short, once to the end: one more at most
    cut, full = Run.select().order_by(Run.id)
    assert (cut.status, full.status) == ("interrupted", "succeeded")
    model = engine_config(repo, ollama).providers["claude"].model(cut.model)
    assert model is not None
    assert charges(cut.id) == [pytest.approx(token_cost(model, PARTIAL_IN, PARTIAL_OUT))]
    assert charges(full.id) == [pytest.approx(COST)]
    assert_plan_done_once(repo, plan, engine_config(repo, ollama).budget)


def test_kill_during_validation_validates_again_without_a_new_agent_run(
    setup, repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    marks = sim_bin.parent  # writable inside the sandbox (engine_fixtures)
    verify = (f"echo check >> {marks}/checks; "
              f"while [ ! -e {marks}/release ]; do sleep 0.05; done")  # fmt: skip
    cfg, plan = setup(verify=[verify])
    first = start_run(cfg, engine_db, plan)
    wait_for(lambda: (marks / "checks").exists(), "Thor's verify command", first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert Task.get(Task.code == "T1").status == "validating"

    (marks / "release").touch()
    finish(cfg, engine_db, plan)
    assert len(sim_calls(sim_bin)) == 1  # the agent is not run again...
    # ...Thor checks again: the cut-short task review, the new one, then the wave review.
    assert (marks / "checks").read_text() == "check\n" * 3
    (run,) = Run.select()
    assert charges(run.id) == [pytest.approx(COST)]
    assert_plan_done_once(repo, plan, engine_config(repo, ollama).budget)


# -- reading a dead engine's run log (engine/recovery_log.py) ---------------------------


def claude_log(
    *events: dict[str, object], exit_note: bool = False, notes: tuple[str, ...] = ()
) -> list[str]:
    """A run log as ``providers/output_sink.py`` writes it for claude."""
    lines = ["[convergio] $ claude -p --output-format stream-json"]
    lines += [f"[out] {json.dumps(e)}" for e in events]
    lines += [f"[convergio] {n}" for n in notes]
    return lines + (["[convergio] exit code 0 after 1.00s"] if exit_note else [])


def assistant(message_id: str, inp: int, out: int) -> dict[str, object]:
    """One claude ``assistant`` event of API message ``message_id``."""
    usage = {"input_tokens": inp, "cache_read_input_tokens": 5, "output_tokens": out}
    return {"type": "assistant", "message": {"id": message_id, "content": [], "usage": usage}}


RESULT = {"type": "result", "subtype": "success", "is_error": False, "result": "done",
          "total_cost_usd": 0.25, "usage": {"input_tokens": 10, "output_tokens": 20}}  # fmt: skip


def test_a_logged_final_result_is_a_finished_run_whatever_the_lost_exit_code() -> None:
    logged = rebuild("claude", claude_log(assistant("m1", 1, 2), RESULT), pid=42)
    assert logged.finished and logged.outcome.exit_code == 0
    result = claude.parse(logged.outcome)
    assert (result.success, result.cost_usd, result.text) == (True, 0.25, "done")


@pytest.mark.parametrize(
    ("lines", "finished"),
    [
        (claude_log(assistant("m1", 1, 2)), False),  # no result, no exit: cut short
        (claude_log(assistant("m1", 1, 2), exit_note=True), True),  # ended without a result
        (claude_log(RESULT, notes=("cancelled: killing the process tree",)), False),
        (claude_log(notes=("output truncated after 9 bytes",), exit_note=True), False),
    ],
)
def test_what_counts_as_finished(lines: list[str], finished: bool) -> None:
    assert rebuild("claude", lines, pid=42).finished is finished


def test_partial_usage_counts_each_claude_message_once() -> None:
    # Claude repeats a message's usage on each of its content blocks.
    lines = claude_log(assistant("m1", 100, 7), assistant("m1", 100, 7), assistant("m2", 300, 9))
    stdout = rebuild("claude", lines, pid=42).outcome.stdout_lines
    assert partial_usage("claude", stdout) == (100 + 5 + 300 + 5, 7 + 9)
    assert partial_usage("gemini", stdout) == (0, 0)  # reports usage only at the end


def test_only_the_last_run_written_to_a_log_counts() -> None:
    # Logs are named by run id and appended to: an earlier run (another database under
    # the same home) may have finished in this very file.
    earlier = claude_log(assistant("m0", 1, 1), RESULT, exit_note=True)
    this_one = claude_log(assistant("m1", 1, 2))
    assert rebuild("claude", earlier, pid=42).finished
    assert not rebuild("claude", earlier + this_one, pid=42).finished


def test_kill_after_the_cross_review_ran_charges_it_once_and_uses_its_answer(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    data = engine_config_dict(repo, ollama, thor={"cross_review": True})
    cfg = write_config(tmp_path / "orchestrator.yaml", data)
    config = engine_config(repo, ollama, thor={"cross_review": True})
    plan = import_spec(config, tmp_path, [[task_spec("T1", PROMPT, priority="P0")]])
    first = start_run(cfg, engine_db, plan, {CRASH_AT: "agent_exited@wave-1-review"})
    first.communicate(timeout=180)
    assert first.returncode == 137, dump()
    (review,) = Run.select().where(Run.task.is_null())
    assert review.status == "running"

    finish(cfg, engine_db, plan)
    review = Run.get_by_id(review.id)
    assert review.status == "succeeded"
    assert charges(review.id) == [pytest.approx(review.cost_usd)]  # once, from its result
    assert review.cost_usd > 0
    # the repeated wave review uses the answer it already paid for: no second review run
    assert Run.select().where(Run.task.is_null()).count() == 1
    calls = sim_calls(sim_bin)
    assert sum("Fix it." in (c["prompt"] or "") for c in calls) == 1  # T1's agent: once
    assert sum("You are reviewing" in (c["prompt"] or "") for c in calls) == 1
    assert Event.select().where(Event.kind == "review.reused").count() == 1
    assert_plan_done_once(repo, plan, config.budget)
