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
from convergio_tui.store.models import Plan, Run, Task, Wave, now
from convergio_tui.store.states import TASK_CANCELLABLE


def pause_plan(plan_id: int) -> bool:
    """Stop dispatching new tasks of the plan (running ones finish). False if not running."""
    moved = (
        Plan.update(status="paused")
        .where(Plan.id == plan_id, Plan.status.in_(("todo", "doing")))
        .execute()
    )
    if moved:
        record("plan.paused", f"plan {plan_id} paused", plan_id=plan_id)
    return bool(moved)


def resume_plan(plan_id: int) -> bool:
    """Let a paused plan dispatch again. False if it was not paused."""
    moved = Plan.update(status="doing").where(Plan.id == plan_id, Plan.status == "paused").execute()
    if moved:
        record("plan.resumed", f"plan {plan_id} resumed", plan_id=plan_id)
    return bool(moved)


def _kill_runs(task_ids: list[int]) -> list[int]:
    runs = list(Run.select().where(Run.task.in_(task_ids), Run.status == "running"))
    return kill_processes(find_run_processes(runs)) if runs else []


def cancel_task(task_id: int) -> bool:
    """Cancel one task and kill its process tree. False if it had already finished."""
    with immediate():
        task = Task.get_by_id(task_id)
        if task.status not in TASK_CANCELLABLE:
            return False
        Task.update(status="cancelled", blocked_reason="cancelled by a person").where(
            Task.id == task_id
        ).execute()
        record("task.cancelled", f"{task.code} cancelled", level="warning",
               plan_id=task.plan_id, task_id=task_id)  # fmt: skip
    _kill_runs([task_id])
    return True


def cancel_plan(plan_id: int) -> int:
    """Cancel the plan, every unfinished task and wave, and kill live runs; returns the
    number of tasks cancelled."""
    with immediate():
        Plan.update(status="cancelled", finished_at=now()).where(Plan.id == plan_id).execute()
        ids = [
            t.id
            for t in Task.select(Task.id).where(
                Task.plan == plan_id, Task.status.in_(sorted(TASK_CANCELLABLE))
            )
        ]
        if ids:
            Task.update(status="cancelled", blocked_reason="plan cancelled").where(
                Task.id.in_(ids)
            ).execute()
        Wave.update(status="cancelled").where(
            Wave.plan == plan_id, Wave.status.not_in(("done",))
        ).execute()
        record("plan.cancelled", f"plan {plan_id} cancelled ({len(ids)} task(s))", level="warning",
               plan_id=plan_id)  # fmt: skip
    _kill_runs(ids)
    return len(ids)
