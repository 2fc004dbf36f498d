"""The dashboard's way into the engine: control actions and the in-process executor.

Control actions write the database (the executor, here or in another process, observes
them); the dashboard calls them from worker threads. With ``--run`` the executor runs
on threads it owns and is stopped, its process trees killed, when the app unmounts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from convergio_tui.config.schema import Config
from convergio_tui.engine.executor import Executor
from convergio_tui.store.states import PLAN_FINISHED


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


def decide_escalation(
    escalation_id: int,
    action: str,
    config: Config,
    *,
    note: str | None = None,
    provider: str | None = None,
    model: str | None = None,
) -> ActionResult:
    """Approve, retry or reject an escalation as the person at the terminal."""
    from convergio_tui.thor import escalations

    try:
        view = escalations.decide(
            escalation_id, action, escalations.current_user(), note=note or None,
            provider=provider or None, model=model or None, config=config,
        )  # fmt: skip
    except escalations.EscalationError as exc:
        return ActionResult(False, str(exc))
    outcome = {"approve": "approved: the task is done", "retry": "sent back for another round",
               "reject": "rejected: the task failed"}[action]  # fmt: skip
    return ActionResult(True, f"{view.task_code} {outcome}.")


class InProcessEngine:
    """``convergio dashboard --run``: the executor on engine-owned threads."""

    def __init__(
        self, config: Config, plan_id: int, listener: Callable[[object], None] | None = None
    ) -> None:
        self.config = config
        self.plan_id = plan_id
        self._listener = listener
        self._executor: Executor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start executing the plan; errors surface through :attr:`state`."""
        with self._lock:
            if self._executor is None:
                self._executor = Executor(self.config, self.plan_id, listener=self._listener)
                self._executor.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop dispatching, kill running trees, and wait for the engine's threads."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.stop(timeout_s)

    def resume_if_idle(self) -> bool:
        """Start again when the last run returned waiting for a person (who has now acted).

        The executor returns when nothing can move without a decision; after one, the
        plan can move again, so a fresh executor picks it up. False when none was needed.
        """
        with self._lock:
            executor = self._executor
            if executor is None or (executor.summary is None and executor.error is None):
                return False  # stopped on purpose, or still running
            if executor.summary is not None and executor.summary.status in PLAN_FINISHED:
                return False
            self._executor = Executor(self.config, self.plan_id, listener=self._listener)
            self._executor.start()
        return True

    @property
    def state(self) -> str:
        """``running``, ``finished: …``, ``failed: …`` or ``stopped`` for the header."""
        executor = self._executor
        if executor is None:
            return "stopped"
        if executor.error is not None:
            return f"failed: {executor.error}"
        if executor.summary is not None:
            return f"finished ({executor.summary.status})"
        return "running"
