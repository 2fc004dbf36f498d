"""OutputGrid: output panes of the running tasks, as a grid or one focused pane."""

from __future__ import annotations

from itertools import pairwise

from textual.app import ComposeResult
from textual.containers import Container
from textual.widgets import Log, Static

from convergio_tui.store.queries import RunningRun
from convergio_tui.tui.tailer import LogTailer
from convergio_tui.tui.widgets.output_pane import OutputPane

FLUSH_LIMIT = 300  # lines per pane per flush: more than this and the oldest are skipped


class OutputGrid(Container):
    """Shows up to ``max_panes`` running tasks (the selected one first), or just one."""

    DEFAULT_CSS = """
    OutputGrid { layout: horizontal; height: 1fr; }
    OutputGrid > #output-empty { color: $foreground-muted; padding: 1 2; }
    """

    def __init__(self, *, id: str | None = None, max_panes: int = 3) -> None:
        super().__init__(id=id)
        self.max_panes = max_panes
        self.focused_mode = False
        self._runs: tuple[RunningRun, ...] = ()
        self._selected_task: int | None = None
        self._now = 0.0

    def compose(self) -> ComposeResult:
        """A hint while nothing runs."""
        yield Static("No task is running. Output of running tasks streams here.", id="output-empty")

    @property
    def shown_run_ids(self) -> list[int]:
        """Run ids with a pane, left to right."""
        return [p.run.run_id for p in self.query(OutputPane)]

    def show(self, runs: tuple[RunningRun, ...], selected_task: int | None, now: float) -> None:
        """Choose the panes for ``runs``: the selected task's first, then the oldest."""
        self._runs, self._selected_task, self._now = runs, selected_task, now
        chosen = sorted(runs, key=lambda r: (r.task_id != selected_task, r.started_at, r.run_id))
        chosen = chosen[: 1 if self.focused_mode else self.max_panes]
        wanted = [r.run_id for r in chosen]
        if wanted == self.shown_run_ids:
            return
        for pane in self.query(OutputPane):
            if pane.run.run_id not in wanted:
                pane.remove()
        have = set(self.shown_run_ids)
        new = [OutputPane(r, now) for r in chosen if r.run_id not in have]
        if new:
            self.mount_all(new)
        self.query_one("#output-empty").display = not chosen
        self.call_after_refresh(self._order, wanted)

    def _order(self, wanted: list[int]) -> None:
        panes = {p.run.run_id: p for p in self.query(OutputPane)}
        for before, after in pairwise(wanted):
            if before in panes and after in panes:
                self.move_child(panes[after], after=panes[before])

    def on_resize(self) -> None:
        """About 50 cells per pane: three at 160 columns, two at 100."""
        panes = max(1, min(4, self.size.width // 48))
        if panes != self.max_panes:
            self.max_panes = panes
            self.show(self._runs, self._selected_task, self._now)

    def toggle_focus(self) -> None:
        """Switch between a grid of panes and one large pane."""
        self.focused_mode = not self.focused_mode
        self.show(self._runs, self._selected_task, self._now)

    def flush(self, tailer: LogTailer) -> int:
        """Write what the tailer read for each pane on screen; return lines written."""
        tailer.focus(self.shown_run_ids)  # the tailer reads (and describes) these logs only
        written = 0
        for pane in self.query(OutputPane):
            if not pane.is_mounted or not pane.query(Log):
                continue  # still mounting (or leaving): its lines wait in the tailer
            drained = tailer.drain(pane.run.run_id, FLUSH_LIMIT)
            if drained.lines or drained.dropped_lines or drained.skipped_bytes:
                pane.append(drained)
                written += len(drained.lines)
        return written

    def tick(self, now: float) -> None:
        """Age the panes' titles."""
        self._now = now
        for pane in self.query(OutputPane):
            pane.retitle(now)
