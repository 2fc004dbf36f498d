"""Pause, resume and cancel: database writes the executor observes promptly.

Callable from any process (the dashboard, a second terminal). A running executor polls
the plan's status and its tasks' statuses between dispatches; cancelling also kills the
task's live process tree directly (verified by its run tag or pid and start time), so
cancellation works even when the executor is in another process or busy.
"""

from __future__ import annotations

from convergio_tui.engine.events import record
from convergio_tui.engine.resume import find_run_processes, kill_processes
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Run, Task, Wave, now
from convergio_tui.store.states import (
    PLAN_PAUSABLE,
    PLAN_RESUMABLE,
    TASK_CANCELLABLE,
    Kind,
    PlanStatus,
    RunStatus,
    TaskStatus,
    WaveStatus,
)
from convergio_tui.store.transitions import move, move_plan, move_task


def pause_plan(plan_id: int) -> bool:
    """Stop dispatching new tasks of the plan (running ones finish). False if not running."""
    moved = move_plan(plan_id, PlanStatus.PAUSED, frm=PLAN_PAUSABLE)
    if moved:
        record("plan.paused", f"plan {plan_id} paused", plan_id=plan_id)
    return moved


def resume_plan(plan_id: int) -> bool:
    """Let a paused plan dispatch again. False if it was not paused."""
    moved = move_plan(plan_id, PlanStatus.DOING, frm=PLAN_RESUMABLE)
    if moved:
        record("plan.resumed", f"plan {plan_id} resumed", plan_id=plan_id)
    return moved


def _kill_runs(task_ids: list[int]) -> list[int]:
    runs = list(Run.select().where(Run.task.in_(task_ids), Run.status == RunStatus.RUNNING))
    return kill_processes(find_run_processes(runs)) if runs else []


def cancel_task(task_id: int) -> bool:
    """Cancel one task and kill its process tree. False if it had already finished."""
    with immediate():
        task = Task.get_by_id(task_id)
        if not move_task(task_id, TaskStatus.CANCELLED, frm=TASK_CANCELLABLE,
                         blocked_reason="cancelled by a person"):  # fmt: skip
            return False
        record("task.cancelled", f"{task.code} cancelled", level="warning",
               plan_id=task.plan_id, task_id=task_id)  # fmt: skip
    _kill_runs([task_id])
    return True


def cancel_plan(plan_id: int) -> int:
    """Cancel the plan, every unfinished task and wave, and kill live runs; returns the
    number of tasks cancelled."""
    with immediate():
        move_plan(plan_id, PlanStatus.CANCELLED, finished_at=now())
        ids = [
            t.id
            for t in Task.select(Task.id).where(
                Task.plan == plan_id, Task.status.in_(sorted(TASK_CANCELLABLE))
            )
        ]
        if ids:
            move(Kind.TASK, TaskStatus.CANCELLED, Task.id.in_(ids), frm=TASK_CANCELLABLE,
                 blocked_reason="plan cancelled")  # fmt: skip
        move(Kind.WAVE, WaveStatus.CANCELLED, Wave.plan == plan_id)  # any wave not done
        record("plan.cancelled", f"plan {plan_id} cancelled ({len(ids)} task(s))", level="warning",
               plan_id=plan_id)  # fmt: skip
    _kill_runs(ids)
    return len(ids)
