"""TaskTable: every task of the plan, updated in place by row key."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, Row, RowKey

from convergio_tui.store.queries import TaskLine
from convergio_tui.textsafe import one_line
from convergio_tui.tui.format import duration, elapsed, money, status_text

# key, label, width (title's width follows the table's)
# Live columns first, so a narrow terminal still shows what moves.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("code", "code", 7), ("title", "title", 30), ("status", "status", 12), ("round", "round", 5),
    ("target", "provider·model", 26), ("cost", "cost", 9), ("elapsed", "elapsed", 7),
    ("type", "type", 8), ("priority", "prio", 4), ("privacy", "privacy", 9),
)  # fmt: skip
TITLE_MIN, TITLE_MAX = 16, 48
FREEZE_AFTER_ROWS = 2000
CHUNK = 200  # rows added per refresh: a 10,000-task plan fills in without a long block
PADDING = 1


def task_cells(line: TaskLine, now: float) -> dict[str, str]:
    """The plain text of each cell of ``line`` (compared to skip unchanged cells), with
    terminal controls and line breaks neutralised: a title is written by whoever wrote
    the plan."""
    target = one_line(f"{line.provider}·{line.model}") if line.provider else "— no provider"
    return {
        "code": one_line(line.code), "title": one_line(line.title), "type": line.type,
        "priority": line.priority,
        "privacy": line.privacy, "target": target, "status": line.status,
        "round": str(line.round), "cost": money(line.cost_usd) if line.cost_usd else "—",
        "elapsed": duration(elapsed(line.started_at, line.finished_at, now)),
    }  # fmt: skip


class TaskTable(DataTable[Text]):
    """Rows keyed by task id; ``apply`` diffs new rows in, ``tick`` ages running tasks."""

    BINDINGS = [
        Binding(
            "enter", "select_cursor", "Detail", id="task.detail", tooltip="Open the selected task"
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        self._structure = 0  # before DataTable's init, whose watchers read the caches
        self._order_key: tuple[int, int] = (-1, -1)
        self._order: list[Row[Text]] = []
        self._offsets: list[tuple[RowKey, int]] = []
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, cell_padding=PADDING)
        self._lines: dict[int, TaskLine] = {}
        self._cells: dict[int, dict[str, str]] = {}
        self._variables: dict[str, str] = {}
        self._live: set[int] = set()
        self._pending: dict[int, None] = {}
        self._filled_since_freeze = 0  # new task ids in arrival order, not yet rows
        self.border_title = "Tasks"

    def on_mount(self) -> None:
        """Columns; status colours follow the theme."""
        for key, label, width in COLUMNS:
            justify = "right" if key in ("cost", "elapsed", "round") else "left"
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
        """Every row, in table order."""
        return self._lines.values()

    @property
    def known_rows(self) -> int:
        """Rows known, including those still waiting to be added."""
        return len(self._lines)

    def apply(self, lines: Iterable[TaskLine], ids: frozenset[int] | None, now: float) -> int:
        """Add, update (changed cells only) and, when ``ids`` is given, remove rows.

        New rows are added ``CHUNK`` at a time, one chunk per refresh, so a plan of
        10,000 tasks appears at once and fills in without freezing the screen.
        Returns how many cells or rows changed.
        """
        changes = 0
        with self.app.batch_update():
            if ids is not None:
                for gone in [t for t in self._lines if t not in ids]:
                    if gone in self._pending:
                        self._pending.pop(gone)
                    else:
                        self.remove_row(str(gone))
                    del self._lines[gone], self._cells[gone]
                    self._live.discard(gone)
                    changes += 1
            for line in lines:
                if self._lines.get(line.id) == line:
                    continue
                self._lines[line.id] = line
                if line.running:
                    self._live.add(line.id)
                else:
                    self._live.discard(line.id)
                changes += self._put(line, task_cells(line, now))
            self._add_pending()
        self._retitle()
        return changes

    def tick(self, now: float) -> None:
        """Move the elapsed time of tasks with a live run."""
        with self.app.batch_update():
            for task_id in self._live:
                line = self._lines[task_id]
                took = duration(elapsed(line.started_at, None, now))
                self._put(line, {**self._cells[task_id], "elapsed": took})

    def reset(self) -> None:
        """Forget every row (another plan is about to be shown)."""
        self.clear()
        self._lines.clear()
        self._cells.clear()
        self._live.clear()
        self._pending.clear()
        self._retitle()

    def _put(self, line: TaskLine, cells: dict[str, str]) -> int:
        old = self._cells.get(line.id)
        self._cells[line.id] = cells
        if old is None:
            self._pending[line.id] = None  # added by _add_pending, with its latest cells
            return 1
        if line.id in self._pending:
            return 0
        changed = [k for k, v in cells.items() if old[k] != v]
        for key in changed:
            self.update_cell(str(line.id), key, self._cell(key, cells[key]))
        return len(changed)

    def _add_pending(self) -> None:
        for _ in range(min(CHUNK, len(self._pending))):
            task_id = next(iter(self._pending))
            del self._pending[task_id]
            cells = self._cells[task_id]
            self.add_row(*(self._cell(k, cells[k]) for k, _, _ in COLUMNS), key=str(task_id))
            self._filled_since_freeze += 1
        if self._pending:
            self.call_after_refresh(self._add_more)
        elif self._filled_since_freeze >= FREEZE_AFTER_ROWS:
            # A big table is a million long-lived objects; a full GC pass over them
            # stalls the UI for a second on a busy machine. Move them out of its way.
            self._filled_since_freeze = 0
            gc.freeze()

    def _add_more(self) -> None:
        with self.app.batch_update():
            self._add_pending()

    def _cell(self, key: str, value: str) -> Text:
        if key == "status":
            return status_text(value, self._variables)
        if key == "code":
            return Text(value, style="bold")
        if key in ("cost", "elapsed", "round"):
            return Text(value, justify="right")
        return Text(value, overflow="ellipsis", no_wrap=True)

    # DataTable keys its row-order and line-offset caches by its update count, so every
    # cell update rebuilds both for every row: ~40 ms a frame at 10,000 rows. Our rows are
    # one line high and only move when rows are added or removed, so key them by that.
    @property
    def ordered_rows(self) -> list[Row[Text]]:
        """Rows in display order (cached until rows are added or removed)."""
        key = (self.row_count, self._structure)
        if self._order_key != key:
            self._order = DataTable.ordered_rows.fget(self)  # type: ignore[attr-defined]
            self._offsets = [(row.key, 0) for row in self._order]
            self._order_key = key
        return self._order

    @property
    def _y_offsets(self) -> list[tuple[RowKey, int]]:
        self.ordered_rows  # noqa: B018  (refreshes the caches when the rows changed)
        return self._offsets

    def add_row(self, *cells: Text, height: int | None = 1, key: str | None = None,
                label: Text | str | None = None) -> RowKey:  # fmt: skip
        """Add a row at the bottom (one line high; the order caches grow with it)."""
        valid = self._order_key == (self.row_count, self._structure)
        self._structure += 1
        if valid:  # appending keeps the order: extend the caches instead of rebuilding
            self._order_key = (self.row_count + 1, self._structure)
        row_key = super().add_row(*cells, height=1, key=key, label=label)
        if valid:
            self._order.append(self.rows[row_key])
            self._offsets.append((row_key, 0))
        return row_key

    def remove_row(self, row_key: RowKey | str) -> None:
        """Remove a row (the order caches are rebuilt)."""
        self._structure += 1
        super().remove_row(row_key)

    def clear(self, columns: bool = False) -> TaskTable:
        """Remove every row (the order caches are rebuilt)."""
        self._structure += 1
        super().clear(columns)
        return self

    def sort(
        self, *columns: ColumnKey | str, key: object = None, reverse: bool = False
    ) -> TaskTable:
        """Sorting moves rows: rebuild the order caches."""
        self._structure += 1
        super().sort(*columns, key=key, reverse=reverse)  # type: ignore[arg-type]
        return self

    def _retitle(self) -> None:
        self.border_title = f"Tasks · {len(self._lines)} · {len(self._live)} running"

    def _theme_changed(self, _theme: object) -> None:
        self._variables = dict(self.app.theme_variables)
        with self.app.batch_update():
            for task_id, cells in self._cells.items():
                self.update_cell(str(task_id), "status", self._cell("status", cells["status"]))

    def on_resize(self) -> None:
        """Give the title column whatever width the other columns leave."""
        fixed = sum(w for k, _, w in COLUMNS if k != "title") + 2 * PADDING * len(COLUMNS) + 2
        width = max(TITLE_MIN, min(TITLE_MAX, self.scrollable_content_region.width - fixed))
        column = self.columns.get(ColumnKey("title"))
        if column is not None and column.width != width:
            column.width = width
            # DataTable has no public way to resize a column; these make it re-measure.
            self._require_update_dimensions = True
            self.refresh()

    def row_key(self, task_id: int) -> RowKey:
        """The row key of ``task_id``."""
        return RowKey(str(task_id))
