"""Thread workers that fail say so: a screen mixing this in shows a notification for any
of its workers that ends in error, and gets a hook to put its own state right (a read
that failed must not leave the screen waiting for it forever)."""

from __future__ import annotations

from textual.worker import Worker, WorkerState

from convergio_tui.textsafe import one_line


class ReportsWorkerFailures:
    """Mix into a Screen (before ``Screen`` in the bases)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Notify a failed worker and call :meth:`worker_failed`."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        what = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
        self.notify(  # type: ignore[attr-defined]  # provided by the Screen it is mixed into
            one_line(what)[:300], title=f"{event.worker.name or 'background work'} failed",
            severity="error",
        )  # fmt: skip
        self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Put the screen's state right after ``worker`` failed (nothing by default)."""
