"""OutputPane: the streaming output of one running task (follow mode, bounded lines)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Log

from convergio_tui.store.dashboard_queries import RunningRun
from convergio_tui.tui.format import duration
from convergio_tui.tui.tailer import Drained

MAX_LINES = 1000


class OutputPane(Vertical):
    """A bordered ``Log`` titled with the task, provider, model, round and elapsed time."""

    DEFAULT_CSS = """
    OutputPane {
        border: round $frame;
        border-title-color: $status-running;
        height: 1fr;
        width: 1fr;
    }
    OutputPane:focus-within { border: round $accent; }
    OutputPane > Log { height: 1fr; scrollbar-size-vertical: 1; }
    """

    def compose(self) -> ComposeResult:
        """The log, following its end."""
        yield Log(max_lines=MAX_LINES, auto_scroll=True)

    def __init__(self, run: RunningRun, now: float) -> None:
        super().__init__()
        self.run = run
        self.lines_written = 0
        self._now = now
        self.retitle(now)

    def retitle(self, now: float) -> None:
        """``T2-01 · claude·claude-opus-4-5 · round 1`` over ``running 3m12s``."""
        run, self._now = self.run, now
        self.border_title = f"{run.code} · {run.provider}·{run.model} · round {run.round}"
        took = duration(now - run.started_at)
        self.border_subtitle = f"running {took}" + (
            "" if self.lines_written else " · waiting for output"
        )

    def append(self, drained: Drained) -> None:
        """Write what the tailer drained, saying how much was left out."""
        log = self.query_one(Log)
        lines = list(drained.lines)
        if drained.skipped_bytes or drained.dropped_lines:
            skipped = []
            if drained.skipped_bytes:
                skipped.append(f"{drained.skipped_bytes / 1e6:.1f} MB")
            if drained.dropped_lines:
                skipped.append(f"{drained.dropped_lines:,} lines")
            lines.insert(
                0, f"… {' and '.join(skipped)} not shown here (the task detail has the log) …"
            )
        if lines:
            log.write_lines(lines)
            if not self.lines_written:
                self.lines_written = len(lines)
                self.retitle(self._now)
            else:
                self.lines_written += len(lines)
