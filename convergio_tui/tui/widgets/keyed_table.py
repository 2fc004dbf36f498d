"""KeyedTable: a DataTable of one-line rows whose order caches survive cell updates, and
which can put a row at a given position (Textual's only appends)."""

from __future__ import annotations

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, Row, RowKey


class KeyedTable(DataTable[Text]):
    """DataTable keys its row-order and line-offset caches by its update count, so every
    cell update rebuilds both for every row: ~40 ms a frame at 10,000 rows. Our rows are
    one line high and only move when rows are added, moved or removed, so key them by that.
    """

    def __init__(self, **kwargs: object) -> None:
        self._structure = 0  # before DataTable's init, whose watchers read the caches
        self._order_key: tuple[int, int] = (-1, -1)
        self._order: list[Row] = []
        self._offsets: list[tuple[RowKey, int]] = []
        super().__init__(**kwargs)  # type: ignore[arg-type]

    @property
    def ordered_rows(self) -> list[Row]:
        """Rows in display order (cached until rows are added, moved or removed)."""
        key = (self.row_count, self._structure)
        if self._order_key != key:
            # Read from the row locations, not through DataTable's own cache: that one is
            # keyed by row count and update count, which clear() leaves as they were.
            locate, rows = self._row_locations.get_key, self.rows
            self._order = [rows[locate(i)] for i in range(self.row_count)]  # type: ignore[index]
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

    def move_row(self, row_key: RowKey, index: int) -> None:
        """Show ``row_key`` at position ``index``; the rows from there on move down one."""
        locations = self._row_locations
        old = locations.get(row_key)
        if old is None or old == index:
            return
        forward: dict[RowKey, int] = {}
        for key in locations:
            at = locations.get(key)
            assert at is not None
            if key == row_key:
                forward[key] = index
            elif index <= at < old:
                forward[key] = at + 1
            elif old < at <= index:
                forward[key] = at - 1
            else:
                forward[key] = at
        self._row_locations = TwoWayDict(forward)
        self._structure += 1
        self._update_count += 1
        self.refresh()

    def remove_row(self, row_key: RowKey | str) -> None:
        """Remove a row (the order caches are rebuilt)."""
        self._structure += 1
        super().remove_row(row_key)

    def clear(self, columns: bool = False) -> KeyedTable:
        """Remove every row (the order caches are rebuilt)."""
        self._structure += 1
        super().clear(columns)
        return self

    def sort(
        self, *columns: ColumnKey | str, key: object = None, reverse: bool = False
    ) -> KeyedTable:
        """Sorting moves rows: rebuild the order caches."""
        self._structure += 1
        super().sort(*columns, key=key, reverse=reverse)  # type: ignore[arg-type]
        return self
