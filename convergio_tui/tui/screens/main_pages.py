"""The main screen's load of a big plan: after the first read showed the plan's first
page of task rows, the rest is read a page at a time on a worker thread, each page asked
for only once the screen has shown the last one, so keys and output are served between
pages (tui/read_state.py says how the usual reads go on meanwhile)."""

from __future__ import annotations

from textual import work

from convergio_tui.tui.messages import TasksPaged
from convergio_tui.tui.poller import read_page
from convergio_tui.tui.read_state import ReadState
from convergio_tui.tui.screens.main_actions import MainActions
from convergio_tui.tui.timing import TickTimings
from convergio_tui.tui.widgets.task_table import TaskTable


class MainPages(MainActions):
    """Reads the rest of the plan's rows after its first page."""

    reads: ReadState
    timings: TickTimings

    def _next_page(self, load: int, plan_id: int | None, after: tuple[int, str]) -> None:
        """Read the page after ``after`` once the screen has shown the last one: keys and
        output are served between pages."""
        if plan_id is not None:
            self.call_after_refresh(self._read_page, load, plan_id, after)

    @work(thread=True, group="pages", exit_on_error=False)
    def _read_page(self, load: int, plan_id: int, after: tuple[int, str]) -> None:
        try:
            lines = read_page(plan_id, after, self.ctx.task_page)
        except Exception as exc:  # locked or gone: the handler tries again
            self.post_message(TasksPaged(load, plan_id, after, (), f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(TasksPaged(load, plan_id, after, lines))

    def on_tasks_paged(self, message: TasksPaged) -> None:
        """Show a page of the plan's rows and ask for the next one."""
        if self._pruning or not self.app._running:
            return
        if message.load != self.reads.load or not self.reads.loading:
            return  # another plan is shown now, or its first read starts over
        if message.error is not None:
            self.set_timer(2.0, lambda: self._read_page(message.load, message.plan_id,
                                                        message.after))  # fmt: skip
            return
        table = self.query_one(TaskTable)
        with self.timings.measure("page"):
            table.apply(message.lines, None, self.ctx.clock())
        table.settle(self.head.tasks if self.head is not None else 0)
        if len(message.lines) == self.ctx.task_page:
            last = message.lines[-1]
            self.reads.paged((last.wave_seq, last.code))
            self._next_page(message.load, message.plan_id, (last.wave_seq, last.code))
        else:
            self.reads.pages_done()
            table.expect(0)
        self.relayout()

    def switch_plan(self, plan_id: int) -> None:
        """Watch ``plan_id`` from now on (its first read starts over)."""
        self.reads.forget()
        super().switch_plan(plan_id)
