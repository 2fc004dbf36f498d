"""Re-running a task (engine/rerun.py): a new round back in the queue, maybe elsewhere,
with a note; its wave and plan open again; then the real engine completes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_fixtures import dump, engine_config, import_spec, sim_calls, task

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.rerun import RerunError, rerun_task
from convergio_tui.store.models import Escalation, Event, Plan, Run, Task, Wave
from convergio_tui.thor.escalations import decide


def get(plan: int, code: str) -> Task:
    return Task.get(Task.plan == plan, Task.code == code)


def wave(plan: int, seq: int) -> Wave:
    return Wave.get(Wave.plan == plan, Wave.seq == seq)


def test_a_done_task_reruns_elsewhere_with_a_note_and_the_engine_completes_it(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [
        [task("T1", "Keep notes.\nSIM: append NOTES.md <<<one more line\\n>>>", provider="claude")],
        [task("T2", "Docs.\nSIM: write docs/USAGE.txt <<<usage\\n>>>", provider="claude")],
    ])  # fmt: skip
    assert Executor(config, plan).run().status == "done", dump()
    first = get(plan, "T1")
    assert (first.status, first.round, first.validated_by) == ("done", 1, "thor")

    done = rerun_task(first.id, config, "ana", provider="gemini", note="Say why in NOTES.md")

    t1 = get(plan, "T1")
    assert (t1.status, t1.round, t1.validated_by) == ("queued", 2, None)
    default = config.providers["gemini"].default_model
    assert (t1.provider, t1.model, t1.requested_provider, t1.requested_model) == (
        "gemini", default, "gemini", default,
    )  # fmt: skip
    assert "REVIEWER NOTE (before round 2, from ana):\nSay why in NOTES.md" in t1.prompt
    # Its wave runs again; the later wave is left as it is; the plan has work again.
    assert (wave(plan, 1).status, wave(plan, 2).status) == ("running", "done")
    assert Plan.get_by_id(plan).status == "doing"
    assert (done.previous_status, done.round, done.wave_reopened, done.plan_reopened) == (
        "done", 2, True, True,
    )  # fmt: skip
    assert Event.get(Event.kind == "task.rerun").task_id == t1.id

    summary = Executor(config, plan).run()
    assert summary.status == "done", dump()
    t1 = get(plan, "T1")
    assert (t1.status, t1.round, t1.validated_by) == ("done", 2, "thor")
    last = Run.select().where(Run.task == t1.id).order_by(Run.id.desc()).first()
    assert (last.provider, last.round, last.status) == ("gemini", 2, "succeeded")
    # The note reached the agent that ran the new round.
    prompts = [c["prompt"] for c in sim_calls(sim_bin) if c["name"] == "gemini"]
    assert any("Say why in NOTES.md" in (p or "") for p in prompts)
    assert (wave(plan, 1).status, Plan.get_by_id(plan).status) == ("done", "done")


def test_a_failed_task_reruns_with_its_skipped_dependents_and_the_plan_finishes(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama, thor={"max_rounds": 1})
    flaky = "SIM[round<2]: mode=fail\nSIM: append NOTES.md <<<x\\n>>>"
    plan = import_spec(config, tmp_path, [[
        task("T1", flaky, provider="claude"),
        task("T2", "SIM: write b.txt <<<b\\n>>>", provider="claude", depends_on=["T1"]),
    ]])  # fmt: skip
    Executor(config, plan).run()
    esc = Escalation.get(Escalation.task == get(plan, "T1").id)
    decide(esc.id, "reject", "ana")  # T1 failed, its wave blocked
    assert Executor(config, plan).run().status == "failed", dump()
    assert (get(plan, "T1").status, get(plan, "T2").status) == ("failed", "skipped")

    done = rerun_task(get(plan, "T1").id, config, "ana")

    assert done.requeued == ("T2",) and done.escalation_id is None
    assert (get(plan, "T1").status, get(plan, "T2").status) == ("queued", "queued")
    assert get(plan, "T2").round == 1  # it never ran: no new round for it
    assert (wave(plan, 1).status, Plan.get_by_id(plan).status) == ("running", "doing")
    assert Executor(config, plan).run().status == "done", dump()
    assert {t.status for t in Task.select().where(Task.plan == plan)} == {"done"}


def test_rerunning_an_escalated_task_closes_its_escalation_as_retried(
    sample: sample_data.SampleIds, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]
    config = sample_data.sample_config(shipped_config)

    done = rerun_task(task_id, config, "ana", model="gpt-5-mini", note="smaller steps")

    t = Task.get_by_id(task_id)
    assert (t.status, t.round, t.model, t.provider) == ("queued", 4, "gpt-5-mini", "copilot")
    esc = Escalation.get_by_id(sample.escalation_id)
    assert (esc.status, esc.decided_by, esc.note, esc.model) == (
        "retried", "ana", "smaller steps", "gpt-5-mini",
    )  # fmt: skip
    assert done.escalation_id == sample.escalation_id


@pytest.mark.parametrize(
    ("code", "kwargs", "words", "bad_input"),
    [
        ("T2-05", {}, "T2-05 is running: only a done, failed", False),
        ("T2-06", {}, "T2-06 is queued", False),
        ("T2-03", {"provider": "nope"}, "unknown provider 'nope'", True),
        ("T2-03", {"provider": "claude", "model": "gpt-9"}, "claude offers no model 'gpt-9'", True),
        ("T2-03", {"model": "gpt-9"}, "copilot offers no model 'gpt-9'", True),
    ],
)  # fmt: skip
def test_a_refused_rerun_says_why_and_writes_nothing(
    sample: sample_data.SampleIds, shipped_config: Config, code: str,
    kwargs: dict[str, str], words: str, bad_input: bool,
) -> None:  # fmt: skip
    task_id = sample.task_ids[code]
    before = Task.get_by_id(task_id).__data__.copy()
    with pytest.raises(RerunError, match=words) as refused:
        rerun_task(task_id, sample_data.sample_config(shipped_config), "ana", **kwargs)
    assert refused.value.bad_input is bad_input
    after = Task.get_by_id(task_id).__data__
    assert after == before
    assert Escalation.get_by_id(sample.escalation_id).status == "pending"
    assert not Event.select().where(Event.kind == "task.rerun").exists()


def test_a_sensitive_task_is_never_rerun_on_a_cloud_provider(
    sample: sample_data.SampleIds, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]
    Task.update(privacy="sensitive").where(Task.id == task_id).execute()
    with pytest.raises(RerunError, match="T2-03 is sensitive") as refused:
        rerun_task(task_id, sample_data.sample_config(shipped_config), "ana", provider="claude")
    assert refused.value.bad_input
    assert Task.get_by_id(task_id).status == "escalated"


def test_no_rerun_while_the_wave_is_reviewed_or_once_the_plan_is_cancelled(
    sample: sample_data.SampleIds, shipped_config: Config
) -> None:
    config = sample_data.sample_config(shipped_config)
    task_id = sample.task_ids["T2-03"]
    Wave.update(status="validating").where(Wave.id == Task.get_by_id(task_id).wave_id).execute()
    with pytest.raises(RerunError, match="wave 2 is being reviewed by Thor now"):
        rerun_task(task_id, config, "ana")
    Plan.update(status="cancelled").where(Plan.id == sample.plan_id).execute()
    with pytest.raises(RerunError, match="was cancelled"):
        rerun_task(task_id, config, "ana")
    assert Task.get_by_id(task_id).status == "escalated"
