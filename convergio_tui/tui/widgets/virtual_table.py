"""VirtualTable: a DataTable whose rows live in a model and are made only when drawn.

DataTable keeps a ``Row``, a key and every cell of every row, and rebuilds its row-order
and line-offset lists (one entry per row) whenever anything changes: at 50,000 rows that
is hundreds of megabytes and long pauses. Here the row storage DataTable reads
(``rows``, ``_data``, ``_row_locations``, ``ordered_rows``, ``_y_offsets``) is a set of
views over four methods a subclass implements; DataTable's drawing, cursor, scrolling,
key bindings and messages stay as they are, so the table looks and behaves the same.

Rows are one line high. Rows are never added through ``add_row`` and the like: the
subclass changes its model and calls ``rows_changed`` (rows came, went or moved) or
``cells_changed`` (some cells show something else).

While a model fills in, ``rows_expected`` makes the table as tall as it will be: the
scrollbar shows the whole at once, and rows coming in change no size, so they cost no
layout of the screen (a layout draws every widget again); rows not in yet are blank.

Drawn cells are cached by the cell object they draw, not by DataTable's update count: a
subclass that hands out the same ``Text`` for a cell until it changes gets a changed cell
drawn again, and only that one (DataTable draws every cell in view again after any
change: a clock ticking in one column of twenty rows redraws two hundred cells).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widgets import DataTable
from textual.widgets._data_table import RowRenderables
from textual.widgets.data_table import ColumnKey, Row, RowKey, StringKey

DRAWN_CELLS = 4096  # drawn cells kept: every cell in view, cursor and not, many times over
_Lines = list[list[Segment]]
_AWAY = Coordinate(-9, -9)  # a cursor on no row (the header is row -1)


def _value(key: object) -> str | None:
    if isinstance(key, StringKey):
        return key.value
    return key if isinstance(key, str) else None


class VirtualTable(DataTable[Text]):
    """A DataTable over a model: subclasses implement the four ``virtual_*`` methods."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # DataTable reads (and only reads, as long as add_row & co are not called) these.
        self._data = _Cells(self)  # type: ignore[assignment]
        self.rows = _Rows(self)  # type: ignore[assignment]
        self._row_locations = _Locations(self)  # type: ignore[assignment]
        # Drawn cells by what they draw (see the module's docstring); DataTable's own cell
        # cache, keyed by its update count, keeps only the cell it just drew.
        self._drawn: OrderedDict[tuple[object, ...], tuple[object, _Lines]] = OrderedDict()
        self._cell_render_cache = _Last()  # type: ignore[assignment]
        self._renderables: dict[int, tuple[dict[ColumnKey, Text], RowRenderables]] = {}
        self._rows_expected = 0

    # -- the model -------------------------------------------------------------------------

    def virtual_count(self) -> int:
        """How many rows there are."""
        raise NotImplementedError

    def virtual_key(self, index: int) -> str:
        """The key of the row at ``index`` (0 <= index < count)."""
        raise NotImplementedError

    def virtual_index(self, key: str) -> int | None:
        """The row of ``key`` (None: no such row)."""
        raise NotImplementedError

    def virtual_cells(self, key: str) -> dict[ColumnKey, Text]:
        """The cells of the row ``key``, by column key."""
        raise NotImplementedError

    # -- telling DataTable ------------------------------------------------------------------

    def rows_changed(self, count_before: int, *, appended: bool = False) -> None:
        """Rows were added, removed or moved (``count_before``: how many there were;
        ``appended``: only added, after the last one)."""
        # Rows added below the view leave every line in view as it was drawn.
        unseen = appended and count_before >= self.rows_in_view().stop
        if not unseen:
            self._update_count += 1  # DataTable's line caches are keyed by it
        self._require_update_dimensions = True  # the virtual height, on idle
        self.cursor_coordinate = self.cursor_coordinate  # kept within the rows
        self.hover_coordinate = self.hover_coordinate
        if not count_before and self.virtual_count() and self.show_cursor:
            self._highlight_cursor()  # a cursor appears: say which row it is on
        self.check_idle()
        if not unseen:
            self.refresh()

    def rows_in_view(self) -> range:
        """The rows the view can show at its scroll position (a line more than fits
        under the header: erring towards drawing again)."""
        top = round(self.scroll_y)
        return range(top, top + self.scrollable_content_region.height)

    @property
    def rows_expected(self) -> int:
        """How many rows the table is tall enough for at least (0: as many as it has)."""
        return self._rows_expected

    @rows_expected.setter
    def rows_expected(self, rows: int) -> None:
        if rows != self._rows_expected:
            self._rows_expected = rows
            self._require_update_dimensions = True  # the virtual height, on idle
            self.check_idle()

    def cells_changed(self) -> None:
        """Some cells show something else: draw the rows in view again (from the cells
        already drawn, but for those that changed)."""
        self._row_render_cache.clear()
        self._line_cache.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        """Colours changed: draw every cell again."""
        self._drawn.clear()
        super().notify_style_update()

    def _render_cell(
        self, row_index: int, column_index: int, base_style: Style, width: int,
        cursor: bool = False, hover: bool = False,
    ) -> _Lines:  # fmt: skip
        if column_index < 0:  # a row label
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cell = self._get_row_renderables(row_index).cells[column_index]
        # The cell itself is kept with its drawing: its id is not reused while cached.
        key = (id(cell), column_index, base_style, width, cursor, hover,
               self._show_hover_cursor, self._pseudo_class_state)  # fmt: skip
        drawn = self._drawn.get(key)
        if drawn is not None:
            self._drawn.move_to_end(key)
            return drawn[1]
        lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._drawn[key] = (cell, lines)
        if len(self._drawn) > DRAWN_CELLS:
            self._drawn.popitem(last=False)
        return lines

    def _render_line_in_row(
        self, row_key: RowKey, line_no: int, base_style: Style,
        cursor_location: Coordinate, hover_location: Coordinate,
    ) -> tuple[_Lines, _Lines]:  # fmt: skip
        # DataTable caches a row's drawing by where the cursor is, so a cursor move draws
        # every row in view again. With a row cursor a row only cares whether the cursor
        # (or the mouse) is on it: tell the others it is away, and they come from the cache.
        if self.cursor_type == "row":
            index = self._row_locations.get(row_key)
            row = -1 if index is None else index
            if cursor_location.row != row:
                cursor_location = _AWAY
            if hover_location.row != row:
                hover_location = _AWAY
        return super()._render_line_in_row(
            row_key, line_no, base_style, cursor_location, hover_location
        )

    def _get_row_renderables(self, row_index: int) -> RowRenderables:
        # DataTable caches these by its update count, which a changed cell does not move:
        # cached here by the cells they are made of.
        if row_index < 0:  # the header
            return super()._get_row_renderables(row_index)
        cells = self.virtual_cells(self.virtual_key(row_index))
        made = self._renderables.get(row_index)
        if made is not None and made[0] is cells:
            return made[1]
        if len(self._renderables) > DRAWN_CELLS:
            self._renderables.clear()
        renderables = self._compute_row_renderables(row_index)
        self._renderables[row_index] = (cells, renderables)
        return renderables

    # -- DataTable's row storage, as views ---------------------------------------------------

    @property
    def row_count(self) -> int:
        """The number of rows."""
        return self.virtual_count()

    @property
    def ordered_rows(self) -> Sequence[Row]:  # type: ignore[override]
        """Rows in display order (made as they are read)."""
        return _Ordered(self, range(self.virtual_count()))

    @property
    def _y_offsets(self) -> Sequence[tuple[RowKey, int]]:  # type: ignore[override]
        return _Offsets(self)

    @property
    def _total_row_height(self) -> int:  # type: ignore[override]
        # The virtual height DataTable sets: the rows still to come count (blank lines).
        return max(self.virtual_count(), self._rows_expected)

    def _get_row_region(self, row_index: int) -> Region:
        # DataTable sums the heights of every row above; ours are one line each.
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        width = sum(c.get_render_width(self) for c in self.columns.values())
        width += self._row_label_column_width
        y = row_index + (self.header_height if self.show_header else 0)
        return Region(0, y, max(self.size.width, width), 1)

    def _get_cell_region(self, coordinate: Coordinate) -> Region:
        if not self.is_valid_coordinate(coordinate):
            return Region(0, 0, 0, 0)
        row_index, column_index = coordinate
        columns = self.ordered_columns
        x = sum(c.get_render_width(self) for c in columns[:column_index])
        x += self._row_label_column_width
        y = row_index + (self.header_height if self.show_header else 0)
        return Region(x, y, columns[column_index].get_render_width(self), 1)


class _Last:
    """Stands in for DataTable's cell render cache: keeps only the cell it just drew."""

    def __init__(self) -> None:
        self._lines: _Lines = []

    def __contains__(self, key: object) -> bool:
        return False

    def __setitem__(self, key: object, lines: _Lines) -> None:
        self._lines = lines

    def __getitem__(self, key: object) -> _Lines:
        return self._lines

    def clear(self) -> None:
        self._lines = []


class _Locations:
    """Stands in for DataTable's two-way map of row key and row index."""

    def __init__(self, table: VirtualTable) -> None:
        self._table = table

    def get(self, key: object) -> int | None:
        value = _value(key)
        return None if value is None else self._table.virtual_index(value)

    def get_key(self, index: int) -> RowKey | None:
        if 0 <= index < self._table.virtual_count():
            return RowKey(self._table.virtual_key(index))
        return None

    def contains_value(self, index: int) -> bool:
        return 0 <= index < self._table.virtual_count()

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return self._table.virtual_count()

    def __iter__(self) -> Iterator[RowKey]:
        table = self._table
        return (RowKey(table.virtual_key(i)) for i in range(table.virtual_count()))


class _Rows(Mapping[RowKey, Row]):
    """Stands in for DataTable's ``rows``: a one-line ``Row`` per key, made when asked."""

    def __init__(self, table: VirtualTable) -> None:
        self._table = table

    def __getitem__(self, key: object) -> Row:
        value = _value(key)
        if value is None or self._table.virtual_index(value) is None:
            raise KeyError(key)
        return Row(RowKey(value), 1)

    def __contains__(self, key: object) -> bool:
        value = _value(key)
        return value is not None and self._table.virtual_index(value) is not None

    def __len__(self) -> int:
        return self._table.virtual_count()

    def __iter__(self) -> Iterator[RowKey]:
        return iter(_Locations(self._table))


class _Cells(Mapping[RowKey, dict[ColumnKey, Text]]):
    """Stands in for DataTable's ``_data``: a row's cells, made when asked."""

    def __init__(self, table: VirtualTable) -> None:
        self._table = table

    def __getitem__(self, key: object) -> dict[ColumnKey, Text]:
        value = _value(key)
        if value is None or self._table.virtual_index(value) is None:
            raise KeyError(key)
        return self._table.virtual_cells(value)

    def __contains__(self, key: object) -> bool:
        return key in _Rows(self._table)

    def __len__(self) -> int:
        return self._table.virtual_count()

    def __iter__(self) -> Iterator[RowKey]:
        return iter(_Locations(self._table))


class _Ordered(Sequence[Row]):
    """Stands in for DataTable's ``ordered_rows`` (a slice is another view)."""

    def __init__(self, table: VirtualTable, indexes: range) -> None:
        self._table = table
        self._indexes = indexes

    @overload
    def __getitem__(self, at: int) -> Row: ...
    @overload
    def __getitem__(self, at: slice) -> _Ordered: ...
    def __getitem__(self, at: int | slice) -> Row | _Ordered:
        if isinstance(at, slice):
            return _Ordered(self._table, self._indexes[at])
        return Row(RowKey(self._table.virtual_key(self._indexes[at])), 1)

    def __len__(self) -> int:
        return len(self._indexes)


class _Offsets(Sequence[tuple[RowKey, int]]):
    """Stands in for DataTable's ``_y_offsets``: line y is row y, its first line."""

    def __init__(self, table: VirtualTable) -> None:
        self._table = table

    @overload
    def __getitem__(self, at: int) -> tuple[RowKey, int]: ...
    @overload
    def __getitem__(self, at: slice) -> Sequence[tuple[RowKey, int]]: ...
    def __getitem__(self, at: int | slice) -> tuple[RowKey, int] | Sequence[tuple[RowKey, int]]:
        count = self._table.virtual_count()
        if isinstance(at, slice):
            return [self[i] for i in range(count)[at]]
        if not -count <= at < count:
            raise IndexError(at)
        return (RowKey(self._table.virtual_key(at % count)), 0)

    def __len__(self) -> int:
        return self._table.virtual_count()
