"""The in-process engine supervisor (``convergio dashboard --run``): the executor of one
plan on engine-owned threads, supervised for whoever hosts it (the dashboard today)."""

from __future__ import annotations

import threading

from convergio_tui.config.schema import Config
from convergio_tui.engine.events import Listener
from convergio_tui.engine.executor import Executor
from convergio_tui.store.states import PLAN_FINISHED


class EngineSupervisor:
    """Runs one plan's executor on engine-owned threads, starts it again when a person's
    decision lets the plan move, and stops it (killing its process trees) on request."""

    def __init__(self, config: Config, plan_id: int, listener: Listener | None = None) -> None:
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

    def start_again(self, timeout_s: float = 30.0) -> bool:
        """Start a fresh executor once the last one has ended, whatever its outcome (a
        person re-ran a task of a finished plan, or asked to run it again); False while
        one still runs. The ended one's thread is joined first: it gives the plan's runner
        lock up only after its summary is set."""
        with self._lock:
            executor = self._executor
            if executor is not None and executor.summary is None and executor.error is None:
                return False  # still running
            if executor is not None:
                executor.stop(timeout_s)
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
