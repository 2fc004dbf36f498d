"""LineView: many lines of styled text, scrolled and searched; only the visible ones render.

The diff view and the task detail's log show thousands of lines. A ``Static`` would lay
all of them out on every change; this line-API widget renders a line when it comes into
view (and caches it), so a long diff or log costs the UI thread what a screenful costs.
Lines are :class:`~textual.content.Content` the caller made safe (``textsafe``) and
styled; a line may have a *fill*, a background that runs to the right edge (a diff's
added and removed lines). Search marks every match of a term (case-insensitive) and
:meth:`LineView.next_match` moves to the next one, centring it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

TAB_SIZE = 4


class LineView(ScrollView, can_focus=True):
    """Read-only lines with search; see the module docstring."""

    COMPONENT_CLASSES = {"line-view--match", "line-view--current"}
    DEFAULT_CSS = """
    LineView { background: $surface; color: $text; overflow: auto; scrollbar-size: 1 1; }
    LineView:focus { background-tint: $foreground 5%; }
    LineView > .line-view--match { background: $warning 45%; color: $text; }
    LineView > .line-view--current { background: $accent 60%; color: $text; text-style: bold; }
    """

    def __init__(
        self,
        *,
        max_lines: int | None = None,
        follow: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.max_lines = max_lines
        # Keep the end in view as lines are appended, until the person scrolls away (or
        # jumps to a match); back at the end, it follows again (Textual's anchor).
        self.follow = follow
        self._lines: list[Content] = []
        self._fills: list[str | None] = []
        self._width = 0
        self._cache: LRUCache[int, Strip] = LRUCache(1024)
        self._fill_styles: dict[str, RichStyle] = {}
        self._pattern: re.Pattern[str] | None = None
        self._matches: list[int] = []
        self._current = -1  # index into _matches, -1 before the first jump

    def on_mount(self) -> None:
        """A following view starts anchored to its end."""
        if self.follow:
            self.anchor()

    @property
    def line_count(self) -> int:
        """How many lines the view holds."""
        return len(self._lines)

    def plain(self, index: int) -> str:
        """Line ``index`` as plain text."""
        return self._lines[index].plain

    @property
    def matches(self) -> tuple[int, ...]:
        """Indexes of the lines holding the search term, in order."""
        return tuple(self._matches)

    @property
    def current_match(self) -> int | None:
        """The line index of the match last jumped to (None before any)."""
        return self._matches[self._current] if 0 <= self._current < len(self._matches) else None

    def set_lines(self, lines: Sequence[Content], fills: Sequence[str | None] = ()) -> None:
        """Show ``lines`` (replacing what was shown), from the top."""
        self._lines, self._fills, self._width = [], [], 0
        self._cache.clear()
        self._add(lines, fills)
        self._rematch()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def append_lines(self, lines: Sequence[Content], fills: Sequence[str | None] = ()) -> None:
        """Add ``lines`` at the end (dropping the oldest past ``max_lines``); a search in
        progress scans only the new lines."""
        if not lines:
            return
        current = self.current_match
        first_new = len(self._lines)
        self._add(lines, fills)
        pattern = self._pattern
        if pattern is not None:
            self._matches.extend(
                i
                for i in range(first_new, len(self._lines))
                if pattern.search(self._lines[i].plain)
            )
        if self.max_lines is not None and len(self._lines) > self.max_lines:
            drop = len(self._lines) - self.max_lines
            del self._lines[:drop], self._fills[:drop]
            self._cache.clear()  # every index moved
            self._matches = [i - drop for i in self._matches if i >= drop]
            current = None if current is None or current < drop else current - drop
            self._current = self._matches.index(current) if current is not None else -1
        self.virtual_size = Size(self._width, len(self._lines))
        self.refresh()

    def _add(self, lines: Sequence[Content], fills: Sequence[str | None]) -> None:
        for i, line in enumerate(lines):
            if "\t" in line.plain:
                line = line.expand_tabs(TAB_SIZE)
            self._lines.append(line)
            self._fills.append(fills[i] if i < len(fills) else None)
            self._width = max(self._width, line.cell_length + 1)
        self.virtual_size = Size(self._width, len(self._lines))

    def scroll_to_line(self, index: int, *, center: bool = False) -> None:
        """Bring line ``index`` into view: at the top, or in the middle with ``center``."""
        top = index - (self.scrollable_content_region.height // 2 if center else 0)
        self.scroll_to(0, max(0, top), animate=False, immediate=True)

    # -- search ---------------------------------------------------------------------

    def search(self, term: str) -> int:
        """Mark every line holding ``term`` (case-insensitive; "" clears); the count."""
        self._pattern = re.compile(re.escape(term), re.IGNORECASE) if term else None
        self._rematch()
        self._cache.clear()
        self.refresh()
        return len(self._matches)

    def _rematch(self) -> None:
        pattern = self._pattern
        self._matches = (
            [] if pattern is None
            else [i for i, line in enumerate(self._lines) if pattern.search(line.plain)]
        )  # fmt: skip
        self._current = -1

    def next_match(self, *, backward: bool = False) -> int | None:
        """Jump to the next (or previous) match, wrapping around; its line index."""
        if not self._matches:
            return None
        if self._current < 0:  # the first jump: from what is on screen
            top = round(self.scroll_y)
            after = [n for n, i in enumerate(self._matches) if i >= top]
            before = [n for n, i in enumerate(self._matches) if i <= top]
            pick = (before[-1] if before else len(self._matches) - 1) if backward else (
                after[0] if after else 0)  # fmt: skip
        else:
            pick = (self._current + (-1 if backward else 1)) % len(self._matches)
        self._current = pick
        self._cache.clear()
        line = self._matches[pick]
        self.scroll_to_line(line, center=True)
        self.refresh()
        return line

    # -- rendering ------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """A theme change restyles every line."""
        super().notify_style_update()
        self._cache.clear()
        self._fill_styles.clear()

    def _fill_style(self, fill: str | None) -> RichStyle:
        base = self.rich_style
        if fill is None:
            return base
        style = self._fill_styles.get(fill)
        if style is None:
            style = self._fill_styles[fill] = (
                base + (self.visual_style + self._get_style(fill)).rich_style
            )
        return style

    def render_line(self, y: int) -> Strip:
        """The visible row ``y``: its line, cut to the horizontal scroll, filled to the edge."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        strip = self._cache.get(index)
        if strip is None:
            strip = self._cache[index] = self._render_full(index)
        fill = self._fill_style(self._fills[index])
        if self.current_match == index:
            fill = fill + self.get_component_rich_style("line-view--current")
        return strip.crop_extend(scroll_x, scroll_x + width, fill)

    def _render_full(self, index: int) -> Strip:
        line = self._lines[index]
        fill = self._fills[index]
        if fill is not None:
            line = line.stylize_before(fill)
        if self._pattern is not None and self.current_match == index:
            line = line.stylize(self.get_visual_style("line-view--current"))
        elif self._pattern is not None:
            line = line.highlight_regex(
                self._pattern, style=self.get_visual_style("line-view--match")
            )
        segments: list[Segment] = line.render_segments(self.visual_style)
        return Strip(segments, line.cell_length)
