"""OutputGrid: output panes of the running tasks, as a grid or one focused pane."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from textual.app import ComposeResult
from textual.containers import Container
from textual.widgets import Log, Static

from convergio_tui.store.queries import RunningRun
from convergio_tui.tui.tailer import LogTailer
from convergio_tui.tui.widgets.output_pane import OutputPane

FLUSH_LIMIT = 300  # lines per pane per flush: more than this and the oldest are skipped


def choose_runs(
    runs: Sequence[RunningRun], selected_task: int | None, slots: int, shown: Sequence[int] = ()
) -> list[RunningRun]:
    """The runs given a pane, left to right: the oldest ``slots`` of them; a selected task
    not among them takes the last place (it is the newest of those chosen, so the order
    stays oldest first). A cursor move among shown tasks changes nothing here, nor does
    one to a task not running: the ``shown`` runs stay while they all still run and fill
    the panes (the output just looked at is not taken away)."""
    ordered = sorted(runs, key=lambda r: (r.started_at, r.run_id))
    pick = next((r for r in ordered if r.task_id == selected_task), None)
    by_id = {r.run_id: r for r in ordered}
    full = len(shown) == min(slots, len(ordered))
    if pick is None and shown and full and all(i in by_id for i in shown):
        return [by_id[i] for i in shown]
    chosen = ordered[:slots]
    if pick is not None and pick not in chosen and slots > 0:
        chosen = [*chosen[: slots - 1], pick]
    return chosen


class OutputGrid(Container):
    """Shows up to ``max_panes`` running tasks (the oldest, and the selected one, marked),
    or just one."""

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
        """Give panes to ``runs`` (``choose_runs``) and mark the selected task's pane.

        Panes keep their places: a key press that moves the cursor between shown tasks only
        moves the mark (a redraw of two titles, no layout), and one that picks a task
        without a pane gives it the last pane in place (no mount, no layout of the grid).
        """
        self._runs, self._selected_task, self._now = runs, selected_task, now
        slots = 1 if self.focused_mode else self.max_panes
        chosen = choose_runs(runs, selected_task, slots, self.shown_run_ids)
        wanted = [r.run_id for r in chosen]
        if wanted != self.shown_run_ids and not self._rebind(chosen, now):
            self._replace(chosen, now)
        for pane in self.query(OutputPane):
            pane.mark(pane.run.task_id == selected_task)

    def _rebind(self, chosen: list[RunningRun], now: float) -> bool:
        """Show ``chosen`` in the panes already mounted, a pane whose run left taking the
        new run at its place; False (nothing done) when the panes cannot line up so."""
        panes = list(self.query(OutputPane))
        if len(panes) != len(chosen) or any(not p.is_mounted for p in panes):
            return False
        wanted = {r.run_id for r in chosen}
        shown = {p.run.run_id for p in panes}
        for pane, run in zip(panes, chosen, strict=True):
            if pane.run.run_id != run.run_id and (pane.run.run_id in wanted or run.run_id in shown):
                return False  # a run on screen would change places: mount anew
        for pane, run in zip(panes, chosen, strict=True):
            if pane.run.run_id != run.run_id:
                pane.rebind(run, now)
        return True

    def _replace(self, chosen: list[RunningRun], now: float) -> None:
        """Remove the panes of runs not chosen, mount the new ones, then put them in order."""
        wanted = [r.run_id for r in chosen]
        for pane in self.query(OutputPane):
            if pane.run.run_id not in wanted:
                pane.remove()
        have = set(self.shown_run_ids)
        new = [OutputPane(r, now) for r in chosen if r.run_id not in have]
        if new:
            self.mount_all(new)
        empty = self.query_one("#output-empty")
        if empty.display != (not chosen):
            empty.display = not chosen
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
