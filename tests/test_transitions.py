"""Status writes through store/transitions.py on a real SQLite file: a legal move is
written, an illegal one raises before anything is written, and a row that moved on
meanwhile (a person cancelled the task) is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from convergio_tui.store.models import Plan, Project, Run, Task, Wave
from convergio_tui.store.states import IllegalTransition, Kind, TaskStatus
from convergio_tui.store.transitions import current, move, move_plan, move_row, move_task


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
