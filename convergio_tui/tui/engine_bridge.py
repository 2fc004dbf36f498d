"""The dashboard's way into the engine: control actions worded for a notification.

Control actions write the database (the executor, here or in another process, observes
them); the dashboard calls them from worker threads. With ``--run`` the engine's own
supervisor (:mod:`convergio_tui.engine.supervisor`) runs the executor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from convergio_tui.config.schema import Config

if TYPE_CHECKING:
    from convergio_tui.engine.events import Listener
    from convergio_tui.tui.context import DashboardContext


@dataclass(frozen=True)
class ActionResult:
    """The outcome of a control action, worded for a notification."""

    ok: bool
    message: str


def pause_plan(plan_id: int) -> ActionResult:
    """Stop dispatching new tasks of the plan."""
    from convergio_tui.engine import control

    if control.pause_plan(plan_id):
        return ActionResult(True, "Plan paused: running tasks finish, no new ones start.")
    return ActionResult(False, "The plan is not running, so it cannot be paused.")


def resume_plan(plan_id: int) -> ActionResult:
    """Let a paused plan dispatch again."""
    from convergio_tui.engine import control

    if control.resume_plan(plan_id):
        return ActionResult(True, "Plan resumed.")
    return ActionResult(False, "The plan is not paused.")


def cancel_task(task_id: int, code: str) -> ActionResult:
    """Cancel one task and kill its process tree."""
    from convergio_tui.engine import control

    if control.cancel_task(task_id):
        return ActionResult(True, f"{code} cancelled.")
    return ActionResult(False, f"{code} has already finished.")


# What a decision did, by the kind of escalation (a task's, or a whole wave's).
OUTCOME = {
    "task": {"approve": "approved: the task is done", "retry": "sent back for another round",
             "reject": "rejected: the task failed", "resolve": "resolved by hand: the task is done"},
    "wave": {"approve": "accepted as it is: the wave is done",
             "retry": "sent back: its tasks run another round", "reject": "rejected: the wave failed",
             "resolve": "resolved by hand: the wave is reviewed again on the next run"},
}  # fmt: skip


def decide_escalation(
    escalation_id: int,
    action: str,
    config: Config,
    *,
    note: str | None = None,
    provider: str | None = None,
    model: str | None = None,
) -> ActionResult:
    """Approve, retry, reject or resolve an escalation as the person at the terminal.

    A refusal (already decided elsewhere; for ``resolve``: the branch still conflicts or
    the worktree has uncommitted changes) comes back as a failed result with Thor's words.
    """
    from convergio_tui.thor import escalations

    try:
        view = escalations.decide(
            escalation_id, action, escalations.current_user(), note=note or None,
            provider=provider or None, model=model or None, config=config,
        )  # fmt: skip
    except escalations.EscalationError as exc:
        return ActionResult(False, str(exc))
    return ActionResult(True, f"{view.task_code} {OUTCOME[view.kind][action]}.")


def approval_warning(rounds: list[dict[str, Any]]) -> str | None:
    """What approving work with these rejected rounds means (the gates its last round
    failed, what each failure means, the failing tests), or None: nothing to warn about.
    The same words ``convergio escalations approve`` prints before it asks once more."""
    from convergio_tui.thor.approval import approval_warning as warning

    return warning(rounds)


def rerun_task(
    task_id: int,
    config: Config,
    *,
    provider: str | None = None,
    model: str | None = None,
    note: str | None = None,
) -> ActionResult:
    """Send a finished (or escalated) task back to the queue for a new round, as the
    person at the terminal (engine/rerun.py); a refusal comes back with its reason."""
    from convergio_tui.engine.rerun import RerunError
    from convergio_tui.engine.rerun import rerun_task as rerun
    from convergio_tui.thor.escalations import current_user

    try:
        done = rerun(task_id, config, current_user(), provider=provider or None,
                     model=model or None, note=note or None)  # fmt: skip
    except RerunError as exc:
        return ActionResult(False, str(exc))
    target = f" on {done.provider}·{done.model}" if done.provider else ""
    words = [f"{done.code} goes back to the queue: round {done.round}{target}."]
    if done.escalation_id is not None:
        words.append(f"Escalation #{done.escalation_id} closed as retried.")
    if done.requeued:
        words.append(f"Queued again with it: {', '.join(done.requeued)}.")
    if done.wave_reopened:
        words.append(f"Wave {done.wave_seq} runs again.")
    return ActionResult(True, " ".join(words))


def runner_elsewhere(plan_id: int) -> int | None:
    """The pid of another live process running the plan (``convergio run``, another
    dashboard), or None."""
    from convergio_tui.engine.resume import runner_alive
    from convergio_tui.store.queries.plans import plan_runner

    plan = plan_runner(plan_id)
    pid = None if plan is None else plan.runner_pid
    if pid and pid != os.getpid() and runner_alive(pid, plan.runner_started_at):
        return int(pid)
    return None


def run_here_problem(plan_id: int) -> str | None:
    """Why this dashboard cannot run the plan now (None: it can): gone, done, cancelled,
    or run by another live process (the runner lock of engine/resume.py)."""
    from convergio_tui.store.queries.plans import plan_runner
    from convergio_tui.store.states import PlanStatus

    plan = plan_runner(plan_id)
    if plan is None:
        return f"Plan {plan_id} no longer exists."
    if plan.status == PlanStatus.DONE:
        return (
            f"Plan {plan_id} is done: nothing left to run (re-run a task first: r in its detail)."
        )
    if plan.status == PlanStatus.CANCELLED:
        return f"Plan {plan_id} was cancelled: it cannot run again."
    pid = runner_elsewhere(plan_id)
    if pid is not None:
        return (f"Plan {plan_id} ({plan.name}) is already being run by process {pid} "
                "(convergio run); this dashboard watches it. Stop that run to run it here.")  # fmt: skip
    return None


def run_here(ctx: DashboardContext, plan_id: int, listener: Listener) -> ActionResult:
    """Run the plan in this process (the engine supervisor, as ``dashboard --run`` does),
    or start it again once its last run ended; refused when another process runs it."""
    from convergio_tui.engine.supervisor import EngineSupervisor

    problem = run_here_problem(plan_id)
    if problem is not None:
        return ActionResult(False, problem)
    engine = ctx.engine
    if engine is not None and engine.plan_id != plan_id:
        if engine.state == "running":
            return ActionResult(False, f"The engine in this dashboard runs plan {engine.plan_id}: "
                                       "switch back to it (s), or let it finish first.")  # fmt: skip
        engine.stop()
        engine = None
    if engine is None:
        ctx.engine = EngineSupervisor(ctx.config, plan_id, listener)
        ctx.engine.start()
        return ActionResult(True, f"Plan {plan_id} runs in this dashboard now; quitting stops it.")
    if engine.start_again():
        return ActionResult(True, f"Plan {plan_id} runs again in this dashboard.")
    return ActionResult(False, f"Plan {plan_id} already runs in this dashboard.")
