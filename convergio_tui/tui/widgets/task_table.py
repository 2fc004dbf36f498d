"""TaskTable: every task of the plan, updated in place by row key, narrowed by a filter."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable

from rich.console import JustifyMethod
from rich.text import Text
from textual.binding import Binding
from textual.widgets.data_table import ColumnKey, RowKey

from convergio_tui.store.queries import TaskLine
from convergio_tui.tui.format import duration, elapsed, status_text
from convergio_tui.tui.task_columns import COLUMNS, PADDING, ColumnWidths, task_cells
from convergio_tui.tui.task_filter import TaskFilter
from convergio_tui.tui.widgets.keyed_table import KeyedTable

FREEZE_AFTER_ROWS = 2000
CHUNK = 200  # rows added per refresh: a 10,000-task plan fills in without a long block


class TaskTable(KeyedTable):
    """Rows keyed by task id; ``apply`` diffs new rows in, ``tick`` ages running tasks,
    ``set_filter`` narrows the rows shown (tasks keep their plan order either way)."""

    BINDINGS = [
        Binding(
            "enter", "select_cursor", "Detail", id="task.detail", tooltip="Open the selected task"
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, cell_padding=PADDING)
        self._lines: dict[int, TaskLine] = {}  # every task, in arrival (plan) order
        self._cells: dict[int, dict[str, str]] = {}
        self._ordinal: dict[int, int] = {}  # a task's place in the plan order
        self._next_ordinal = 0
        self._shown: set[int] = set()  # tasks with a row
        self._last_shown = -1  # the highest ordinal with a row: appending keeps the order
        self._pending: dict[int, None] = {}  # tasks to show, not rows yet (CHUNK a refresh)
        self._want_cursor: int | None = None  # put the cursor here once its row exists
        self._filter = TaskFilter()
        self._variables: dict[str, str] = {}
        self._live: set[int] = set()
        self._widths = ColumnWidths()
        self._filled_since_freeze = 0
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
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    def line(self, task_id: int) -> TaskLine | None:
        """The last known row of ``task_id``."""
        return self._lines.get(task_id)

    def lines(self) -> Iterable[TaskLine]:
        """Every task, in plan order, shown or filtered out."""
        return self._lines.values()

    @property
    def known_rows(self) -> int:
        """Tasks known, including those still waiting to be added or filtered out."""
        return len(self._lines)

    @property
    def shown_rows(self) -> int:
        """Tasks the filter lets through (rows, and rows about to be added)."""
        return len(self._shown) + len(self._pending)

    @property
    def task_filter(self) -> TaskFilter:
        """The filter in force (empty: every task)."""
        return self._filter

    def apply(self, lines: Iterable[TaskLine], ids: frozenset[int] | None, now: float) -> int:
        """Add, update (changed cells only) and, when ``ids`` is given, remove rows.

        New rows are added ``CHUNK`` at a time, one chunk per refresh, so a plan of
        10,000 tasks appears at once and fills in without freezing the screen. A task
        whose change makes it match the filter, or stop matching, gains or loses its row
        in place. Returns how many cells or rows changed.
        """
        changes = 0
        mark = self.selected_task_id
        structure = self._structure
        with self.app.batch_update():
            if ids is not None:
                for gone in [t for t in self._lines if t not in ids]:
                    self._hide(gone)
                    del self._lines[gone], self._cells[gone], self._ordinal[gone]
                    self._live.discard(gone)
                    changes += 1
            for line in lines:
                if self._lines.get(line.id) == line:
                    continue
                if line.id not in self._ordinal:
                    self._ordinal[line.id] = self._next_ordinal
                    self._next_ordinal += 1
                self._lines[line.id] = line
                if line.running:
                    self._live.add(line.id)
                else:
                    self._live.discard(line.id)
                changes += self._put(line.id, task_cells(line, now))
                changes += self._follow_filter(line)
            self._add_pending()
        if structure != self._structure:
            self._keep_cursor(mark)
        self._retitle()
        return changes

    def set_filter(self, task_filter: TaskFilter) -> None:
        """Show only the tasks ``task_filter`` lets through, in plan order; the cursor
        stays on its task when that task is still shown."""
        if task_filter == self._filter:
            self._filter = task_filter  # the same meaning, maybe typed differently
            return
        mark = self.selected_task_id
        self._filter = task_filter
        with self.app.batch_update():
            self.clear()
            self._shown.clear()
            self._pending.clear()
            self._last_shown = -1
            for task_id, line in self._lines.items():
                if task_filter.matches(line):
                    self._pending[task_id] = None
            self._want_cursor = mark
            self._add_pending()
        self._retitle()

    def next_row(self, wanted: Callable[[TaskLine], bool]) -> int | None:
        """The next row after the cursor (round the end) whose task is ``wanted``."""
        rows = self.ordered_rows
        count = len(rows)
        start = self.cursor_row if count else 0
        for step in range(1, count + 1):
            index = (start + step) % count
            key = rows[index].key.value
            line = self._lines.get(int(key)) if key is not None else None
            if line is not None and wanted(line):
                return index
        return None

    def tick(self, now: float) -> None:
        """Move the elapsed time of tasks with a live run."""
        with self.app.batch_update():
            for task_id in self._live:
                line = self._lines[task_id]
                took = duration(elapsed(line.started_at, None, now))
                self._put(task_id, {**self._cells[task_id], "elapsed": took})

    def reset(self) -> None:
        """Forget every row (another plan is about to be shown); the filter stays."""
        self.clear()
        for store in (self._lines, self._cells, self._ordinal, self._pending):
            store.clear()
        self._shown.clear()
        self._live.clear()
        self._last_shown = -1
        self._widths.reset()
        for key, width in self._widths.widths.items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and key != "title":
                column.width = width
        self._fit_title()
        self._retitle()

    # -- rows ------------------------------------------------------------------------------

    def _put(self, task_id: int, cells: dict[str, str]) -> int:
        old = self._cells.get(task_id)
        self._cells[task_id] = cells
        self._fit(cells)
        if old is None:
            return 1
        if task_id not in self._shown:
            return 0  # filtered out or pending: its row is made from the latest cells
        changed = [k for k, v in cells.items() if old[k] != v]
        for key in changed:
            self.update_cell(str(task_id), key, self._cell(key, cells[key]))
        return len(changed)

    def _follow_filter(self, line: TaskLine) -> int:
        """Give ``line`` a row, or take it away, as the filter says now."""
        wanted = self._filter.matches(line)
        present = line.id in self._shown or line.id in self._pending
        if wanted and not present:
            self._pending[line.id] = None
            return 1
        if present and not wanted:
            self._hide(line.id)
            return 1
        return 0

    def _hide(self, task_id: int) -> None:
        if task_id in self._pending:
            del self._pending[task_id]
        elif task_id in self._shown:
            self._shown.discard(task_id)
            self.remove_row(str(task_id))

    def _add_pending(self) -> None:
        for _ in range(min(CHUNK, len(self._pending))):
            task_id = next(iter(self._pending))
            del self._pending[task_id]
            self._show(task_id)
            self._filled_since_freeze += 1
        if self._want_cursor is not None and self._want_cursor in self._shown:
            self.move_cursor(row=self.get_row_index(str(self._want_cursor)))
            self._want_cursor = None
        if self._pending:
            self.call_after_refresh(self._add_more)
            return
        self._want_cursor = None
        if self._filled_since_freeze >= FREEZE_AFTER_ROWS:
            # A big table is a million long-lived objects; a full GC pass over them
            # stalls the UI for a second on a busy machine. Move them out of its way.
            self._filled_since_freeze = 0
            gc.freeze()

    def _show(self, task_id: int) -> None:
        """Add ``task_id``'s row where the plan order puts it among the rows shown."""
        cells = self._cells[task_id]
        key = self.add_row(*(self._cell(k, cells[k]) for k, _, _ in COLUMNS), key=str(task_id))
        self._shown.add(task_id)
        ordinal = self._ordinal[task_id]
        if ordinal > self._last_shown:  # the usual case: plan order is arrival order
            self._last_shown = ordinal
            return
        index = sum(1 for t in self._shown if self._ordinal[t] < ordinal)
        self.move_row(key, index)

    def _add_more(self) -> None:
        with self.app.batch_update():
            self._add_pending()
        self._retitle()

    def _keep_cursor(self, task_id: int | None) -> None:
        """Rows came or went above the cursor: keep it on the task it was on."""
        if task_id is None or task_id not in self._shown:
            return
        index = self.get_row_index(str(task_id))
        if index != self.cursor_row:
            self.move_cursor(row=index)

    def _cell(self, key: str, value: str) -> Text:
        if key == "status":
            return status_text(value, self._variables)
        if key == "code":
            return Text(value, style="bold")
        if key in ("cost", "elapsed", "round"):
            return Text(value, justify="right")
        return Text(value, overflow="ellipsis", no_wrap=True)

    # -- widths ----------------------------------------------------------------------------

    def _fit(self, cells: dict[str, str]) -> None:
        """Widen a fitted column to its widest cell (up to its cap)."""
        grown = self._widths.grow(cells)
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
        self.refresh()

    def on_resize(self) -> None:
        """Re-share the width: the title takes what the other columns leave."""
        self._fit_title()

    def _retitle(self) -> None:
        total, running = len(self._lines), len(self._live)
        if self._filter.active:
            self.border_title = f"Tasks · {self.shown_rows} of {total} shown · {running} running"
        else:
            self.border_title = f"Tasks · {total} · {running} running"

    def _theme_changed(self, _theme: object) -> None:
        self._variables = dict(self.app.theme_variables)
        with self.app.batch_update():
            for task_id in self._shown:
                status = self._cells[task_id]["status"]
                self.update_cell(str(task_id), "status", self._cell("status", status))

    def row_key(self, task_id: int) -> RowKey:
        """The row key of ``task_id``."""
        return RowKey(str(task_id))
