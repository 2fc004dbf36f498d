"""TaskTable: every task of the plan, updated in place by row key, narrowed by a filter.

The rows live in a ``TaskRows`` model (tui/task_rows.py): one slim line per task. Cells
are made only for the rows drawn (VirtualTable), so a plan of 50,000 tasks costs a few
megabytes and a change to a task off screen costs nothing to draw.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Callable, Iterable

from rich.console import JustifyMethod
from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets.data_table import ColumnKey, RowKey

from convergio_tui.store.queries import TaskLine
from convergio_tui.tui.format import duration, elapsed, status_text
from convergio_tui.tui.task_columns import COLUMNS, PADDING, ColumnWidths, fitted_widths, task_cells
from convergio_tui.tui.task_filter import TaskFilter
from convergio_tui.tui.task_rows import TaskRows
from convergio_tui.tui.widgets.virtual_table import VirtualTable

FREEZE_AFTER_ROWS = 2000
CELL_CACHE = 512  # rows whose cells are kept made: a screenful many times over
_KEYS = tuple((ColumnKey(key), key) for key, _, _ in COLUMNS)
_ELAPSED = ColumnKey("elapsed")


class TaskTable(VirtualTable):
    """Rows keyed by task id; ``apply`` diffs new rows in, ``tick`` ages running tasks,
    ``set_filter`` narrows the rows shown (tasks keep their plan order either way)."""

    BINDINGS = [
        Binding(
            "enter", "select_cursor", "Detail", id="task.detail", tooltip="Open the selected task"
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        self._rows = TaskRows()  # before DataTable's init, whose watchers may read the rows
        self._made: OrderedDict[int, tuple[TaskLine, float | None, dict[ColumnKey, Text]]]
        self._made = OrderedDict()  # cells made for drawing, by task (least recent first)
        self._now = 0.0  # the time the elapsed cells show
        self._coming = 0  # the plan's tasks while its rows are read in (0: all are in)
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, cell_padding=PADDING)
        self._variables: dict[str, str] = {}
        self._widths = ColumnWidths()
        self.border_title = "Tasks"

    def on_mount(self) -> None:
        """Columns; status colours follow the theme."""
        for key, label, width in COLUMNS:
            justify: JustifyMethod = "right" if key in ("cost", "elapsed", "round") else "left"
            self.add_column(Text(label, justify=justify), key=key, width=width)
        self._variables = dict(self.app.theme_variables)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    @property
    def selected_task_id(self) -> int | None:
        """The task under the cursor."""
        rows = self._rows.shown
        row = self.cursor_row
        return rows[row] if 0 <= row < len(rows) else None

    def line(self, task_id: int) -> TaskLine | None:
        """The last known row of ``task_id``."""
        return self._rows.lines.get(task_id)

    def lines(self) -> Iterable[TaskLine]:
        """Every task, in plan order, shown or filtered out."""
        return self._rows.in_order()

    def known_ids(self) -> frozenset[int]:
        """Every task known, shown or filtered out."""
        return frozenset(self._rows.lines)

    @property
    def known_rows(self) -> int:
        """Tasks known, including those filtered out."""
        return len(self._rows.lines)

    @property
    def shown_rows(self) -> int:
        """Tasks the filter lets through."""
        return len(self._rows)

    @property
    def task_filter(self) -> TaskFilter:
        """The filter in force (empty: every task)."""
        return self._rows.filter

    def apply(
        self,
        lines: Iterable[TaskLine],
        ids: frozenset[int] | None,
        now: float,
        *,
        known_only: bool = False,
    ) -> int:
        """Add and update rows and, when ``ids`` is given, remove those not in it;
        ``known_only``: update known tasks only (the rest is still being read in plan
        order). A task whose change makes it match the filter, or stop matching, gains or
        loses its row in place. Returns how many rows changed."""
        mark, before = self.selected_task_id, len(self._rows)
        self._now = now
        gone = [] if ids is None else [t for t in self._rows.lines if t not in ids]
        moved = self._rows.remove(gone)
        put = self._rows.put(lines, known_only=known_only)
        if put.changed:
            self._fit(fitted_widths(put.changed))
        if moved or put.moved:
            self.rows_changed(before, appended=put.appended and not moved)
            self._keep_cursor(mark)
        elif self._in_view(line.id for line in put.changed):
            self.cells_changed()
        self._retitle()
        return len(put.changed) + len(gone)

    def settle(self, plan_tasks: int) -> None:
        """A read of the plan's rows is in (its first page, another page): on a big plan,
        move what is alive now out of the collector's way. A full pass over a big plan's
        objects stalls the screen; these stay for as long as the plan is shown."""
        if plan_tasks >= FREEZE_AFTER_ROWS:
            gc.freeze()

    def expect(self, plan_tasks: int) -> None:
        """The plan's rows are being read in, ``plan_tasks`` of them (0: they are all in):
        unfiltered, the table is that tall meanwhile (VirtualTable.rows_expected)."""
        self._coming = plan_tasks
        self.rows_expected = 0 if self._rows.filter.active else plan_tasks

    def set_filter(self, task_filter: TaskFilter) -> None:
        """Show only the tasks ``task_filter`` lets through, in plan order; the cursor
        stays on its task when that task is still shown."""
        if task_filter == self._rows.filter:
            self._rows.filter = task_filter  # the same meaning, maybe typed differently
            return
        mark, before = self.selected_task_id, len(self._rows)
        self._rows.set_filter(task_filter)
        self.expect(self._coming)
        self.rows_changed(before)
        self._to_top()
        at = None if mark is None else self._rows.index(mark)
        if at:
            self.move_cursor(row=at)
        if self.selected_task_id != mark:
            self._highlight_cursor()
        self._retitle()

    def next_row(self, wanted: Callable[[TaskLine], bool]) -> int | None:
        """The next row after the cursor (round the end) whose task is ``wanted``."""
        return self._rows.next_after(self.cursor_row if len(self._rows) else 0, wanted)

    def tick(self, now: float) -> None:
        """Move the elapsed time of tasks with a live run (drawn again if in view)."""
        self._now = now
        if self._in_view(self._rows.live):
            self.cells_changed()

    def _in_view(self, task_ids: Iterable[int]) -> bool:
        """Whether one of these tasks has a row on screen (drawing the rows again costs
        about as much as a key press; a change off screen needs none)."""
        view = self.rows_in_view()
        for task_id in task_ids:
            at = self._rows.index(task_id)
            if at is not None and at in view:
                return True
        return False

    def reset(self) -> None:
        """Forget every row (another plan is about to be shown); the filter stays."""
        before = len(self._rows)
        self._rows.clear()
        self._made.clear()
        self.expect(0)
        self._to_top()
        self.rows_changed(before)
        self._widths.reset()
        for key, width in self._widths.widths.items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and key != "title":
                column.width = width
        self._fit_title()
        self._retitle()

    def _to_top(self) -> None:
        """The cursor on the first row, scrolled to the top left (as DataTable.clear)."""
        self.cursor_coordinate = Coordinate(0, 0)
        self.hover_coordinate = Coordinate(0, 0)
        self.scroll_x = self.scroll_y = self.scroll_target_x = self.scroll_target_y = 0

    def row_key(self, task_id: int) -> RowKey:
        """The row key of ``task_id``."""
        return RowKey(str(task_id))

    # -- the rows, for VirtualTable ------------------------------------------------------------

    def virtual_count(self) -> int:
        """Rows shown."""
        return len(self._rows)

    def virtual_key(self, index: int) -> str:
        """The key (task id) of row ``index``."""
        return str(self._rows.shown[index])

    def virtual_index(self, key: str) -> int | None:
        """The row of task ``key``."""
        return self._rows.index(int(key)) if key.isdigit() else None

    def virtual_cells(self, key: str) -> dict[ColumnKey, Text]:
        """The cells of task ``key`` (made once per change, or per tick while it runs)."""
        task_id = int(key)
        line = self._rows.lines[task_id]
        # The elapsed cell of a task started and not finished follows the clock.
        now = self._now if line.started_at is not None and line.finished_at is None else None
        made = self._made.get(task_id)
        if made is not None and made[0] is line:
            self._made.move_to_end(task_id)
            if made[1] == now:
                return made[2]
            # Only the clock moved: a new elapsed cell, the others drawn as they were.
            took = duration(elapsed(line.started_at, line.finished_at, self._now))
            cells = made[2]
            if cells[_ELAPSED].plain != took:
                cells = {**cells, _ELAPSED: self._cell("elapsed", took)}
            self._made[task_id] = (line, now, cells)
            return cells
        texts = task_cells(line, self._now)
        cells = {column: self._cell(key, texts[key]) for column, key in _KEYS}
        self._made[task_id] = (line, now, cells)
        if len(self._made) > CELL_CACHE:
            self._made.popitem(last=False)
        return cells

    def _keep_cursor(self, task_id: int | None) -> None:
        """Rows came or went above the cursor: keep it on the task it was on."""
        if task_id is None:
            return
        at = self._rows.index(task_id)
        if at is not None and at != self.cursor_row:
            self.move_cursor(row=at)
        elif at is None:
            self._highlight_cursor()  # its task went: the cursor is on another one now

    def _cell(self, key: str, value: str) -> Text:
        if key == "status":
            return status_text(value, self._variables)
        if key == "code":
            return Text(value, style="bold")
        if key in ("cost", "elapsed", "round"):
            return Text(value, justify="right")
        return Text(value, overflow="ellipsis", no_wrap=True)

    # -- widths ----------------------------------------------------------------------------

    def _fit(self, widest: dict[str, int]) -> None:
        """Widen the fitted columns to their widest cells (up to their caps)."""
        grown = self._widths.grow(widest)
        for key in grown:
            column = self.columns.get(ColumnKey(key))
            if column is not None:
                column.width = self._widths.widths[key]
        if grown:
            self._fit_title()

    def _fit_title(self) -> None:
        """Give the title column whatever width the other columns leave."""
        available = self.scrollable_content_region.width
        column = self.columns.get(ColumnKey("title"))
        if column is not None:
            column.width = self._widths.title(available)
        # Columns past the right edge are reached with ← and → (no scrollbar: it would
        # take a row of a short terminal).
        self.border_subtitle = "← → more columns" if self._widths.overflows(available) else ""
        # DataTable has no public way to resize a column; these make it re-measure.
        self._require_update_dimensions = True
        self.cells_changed()

    def on_resize(self) -> None:
        """Re-share the width: the title takes what the other columns leave."""
        self._fit_title()

    def _retitle(self) -> None:
        total, running = len(self._rows.lines), len(self._rows.live)
        if self._rows.filter.active:
            self.border_title = f"Tasks · {self.shown_rows} of {total} shown · {running} running"
        else:
            self.border_title = f"Tasks · {total} · {running} running"

    def _theme_changed(self, _theme: object) -> None:
        self._variables = dict(self.app.theme_variables)
        self._made.clear()
        self.cells_changed()
