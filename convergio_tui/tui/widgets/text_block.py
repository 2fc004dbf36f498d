"""TextBlock: a Static that repaints only when its text changed, and re-lays out only
when its height may have changed (a layout pass costs far more than a repaint)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class TextBlock(Static):
    """Static text updated by ``show``; cheap to call every tick."""

    def __init__(self, content: str | Content = "", *, id: str | None = None) -> None:
        super().__init__(content, id=id)
        self._shown: Content | str = content

    def show(self, content: Content | str) -> None:
        """Display ``content`` unless it is already displayed."""
        if content == self._shown:
            return
        lines = str(self._shown).count("\n")
        self._shown = content
        wraps = self.styles.height is None or self.styles.height.is_auto  # may wrap to new lines
        self.update(content, layout=wraps or str(content).count("\n") != lines)
