"""The dashboard's way into the engine: control actions worded for a notification.

Control actions write the database (the executor, here or in another process, observes
them); the dashboard calls them from worker threads. With ``--run`` the engine's own
supervisor (:mod:`convergio_tui.engine.supervisor`) runs the executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convergio_tui.config.schema import Config


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
