"""Status writes through store/transitions.py on a real SQLite file: a legal move is
written, an illegal one raises before anything is written, and a row that moved on
meanwhile (a person cancelled the task) is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_thor_support import Sandbox, with_thor

from convergio_tui.config.schema import Config
from convergio_tui.engine.control import cancel_task
from convergio_tui.store.models import Escalation, Event, Plan, Project, Run, Task, Wave
from convergio_tui.store.states import IllegalTransition, Kind, TaskStatus
from convergio_tui.store.transitions import current, move, move_plan, move_row, move_task
from convergio_tui.thor.escalations import EscalationError, decide
from convergio_tui.thor.rounds import accept_task, reject_task


@pytest.fixture
def plan(db_file: Path, tmp_path: Path) -> Plan:
    project = Project.create(name="proj", path=str(tmp_path))
    plan = Plan.create(project=project, name="plan")
    wave = Wave.create(plan=plan, seq=1, name="w1")
    for code in ("T1", "T2", "T3"):
        Task.create(plan=plan, wave=wave, code=code, title=code, prompt="do it", type="coding")
    return plan


def task(code: str) -> Task:
    return Task.get(Task.code == code)


def test_a_legal_move_is_written_with_its_values(plan: Plan) -> None:
    assert move_task(task("T1").id, TaskStatus.QUEUED)
    assert move_task(task("T1").id, "blocked", frm=["queued"], blocked_reason="no provider")
    stored = task("T1")
    assert (stored.status, stored.blocked_reason) == ("blocked", "no provider")
    assert current(Kind.TASK, stored.id) == "blocked"


def test_an_illegal_move_raises_and_writes_nothing(plan: Plan) -> None:
    t1 = task("T1")
    with pytest.raises(IllegalTransition, match="from pending to running"):
        move_task(t1.id, "running", frm=["pending", "queued"], blocked_reason="x")
    with pytest.raises(IllegalTransition, match="no task may move to pending"):
        move_task(t1.id, "pending")
    with pytest.raises(IllegalTransition, match="not a plan status"):
        move_plan(plan.id, "running")
    stored = task("T1")
    assert (stored.status, stored.blocked_reason) == ("pending", None)


def test_a_row_that_moved_on_is_left_alone(plan: Plan) -> None:
    t1 = task("T1")
    assert move_task(t1.id, "queued") and move_task(t1.id, "running")
    assert move_task(t1.id, "cancelled", blocked_reason="cancelled by a person")
    # The engine's run ends after the person cancelled: its move must not win.
    assert not move_task(t1.id, "submitted", frm=["running"], result_text="late")
    stored = task("T1")
    assert (stored.status, stored.result_text) == ("cancelled", None)


def test_many_rows_move_at_once_only_from_allowed_sources(plan: Plan) -> None:
    move_task(task("T2").id, "cancelled")
    moved = move(Kind.TASK, "queued", Task.plan == plan.id, frm=["pending"])
    assert moved == 2
    assert {t.code: t.status for t in Task.select()} == {
        "T1": "queued",
        "T2": "cancelled",
        "T3": "queued",
    }


def test_move_row_mirrors_the_write_onto_the_row_it_was_given(plan: Plan) -> None:
    wave = Wave.get(Wave.plan == plan.id)
    assert move_row(wave, "running", branch="convergio/x/wave-1")
    assert (wave.status, wave.branch) == ("running", "convergio/x/wave-1")
    assert Wave.get_by_id(wave.id).status == "running"
    stale = Wave.get_by_id(wave.id)
    assert move_row(wave, "cancelled")
    assert not move_row(stale, "done")  # the row moved on: the stale copy is not changed
    assert stale.status == "running" and Wave.get_by_id(wave.id).status == "cancelled"


def test_a_run_closes_once(plan: Plan) -> None:
    run = Run.create(task=task("T1"), provider="claude", model="m")
    assert move_row(run, "succeeded", exit_code=0)
    assert not move_row(Run.get_by_id(run.id), "failed")
    with pytest.raises(IllegalTransition, match="from succeeded to failed"):
        move_row(run, "failed", frm=["succeeded"])
    assert Run.get_by_id(run.id).status == "succeeded"


# -- Thor's moves meet a person's decision ----------------------------------------------


@pytest.fixture
def box(tmp_path: Path, db_file: Path, shipped_config: Config) -> Sandbox:
    return Sandbox(tmp_path, with_thor(shipped_config, code_globs=[], debug_patterns=[]))


def test_a_task_cancelled_during_thors_review_stays_cancelled(box: Sandbox) -> None:
    passing = box.add_task("T1-01", files=["ok.py"])
    box.write(passing, {"ok.py": "OK = 1\n"})
    box.commit(passing)
    failing = box.add_task("T1-02", verify=["exit 1"])
    box.commit(failing)
    verdicts = box.review(passing), box.review(failing)
    assert verdicts[0].passed and not verdicts[1].passed
    for task in (passing, failing):
        assert cancel_task(task.id)

    assert not accept_task(passing.id)
    assert reject_task(failing.id, verdicts[1], box.config, frm=["validating"]) is None

    assert [(t.status, t.round) for t in Task.select().order_by(Task.code)] == [
        ("cancelled", 1), ("cancelled", 1)
    ]  # fmt: skip
    assert not Event.select().where(Event.kind == "rejected").exists()


def test_an_escalation_of_a_task_cancelled_meanwhile_is_not_decided(box: Sandbox) -> None:
    task = box.add_task("T1-01", verify=["exit 1"])
    for _ in range(3):
        box.commit(task)
        reject_task(task.id, box.review(task), box.config)
    esc = Escalation.get(Escalation.task == task.id)
    assert cancel_task(task.id)

    with pytest.raises(EscalationError, match="is cancelled, no longer escalated"):
        decide(esc.id, "approve", "eve")

    assert (Escalation.get_by_id(esc.id).status, Task.get_by_id(task.id).status) == (
        "pending", "cancelled"
    )  # fmt: skip
