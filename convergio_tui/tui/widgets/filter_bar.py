"""FilterBar: the one-line input above the task table that ``/`` opens.

It only reports what was typed (``Changed``) and when the person is done (``Closed``: kept
with enter or down, cleared with esc); the screen parses the text and filters the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

PLACEHOLDER = "status:escalated  provider:claude  wave:2  or words of a code or title"


class FilterInput(Input):
    """The text field; esc clears and closes, enter and down keep the filter."""

    BINDINGS = [
        Binding("escape", "close(False)", "Clear filter", id="filter.clear"),
        Binding("down", "close(True)", "To the tasks", show=False, id="filter.keep"),
    ]

    def action_close(self, keep: bool) -> None:
        """Tell the bar the person is done."""
        self.post_message(FilterBar.Closed(keep))


class FilterBar(Horizontal):
    """Hidden until opened; shown while a filter is set."""

    DEFAULT_CSS = """
    FilterBar {
        display: none;
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    FilterBar.-open { display: block; }
    FilterBar > Label { width: auto; color: $accent; text-style: bold; }
    FilterBar > Input, FilterBar > Input:focus {
        border: none; height: 1; padding: 0 1; width: 1fr; background: $panel;
    }
    FilterBar > Input:focus { background: $boost; }
    FilterBar > #filter-note { width: auto; color: $foreground-muted; }
    FilterBar > #filter-note.-problem { color: $warning; }
    """

    @dataclass
    class Changed(Message):
        """The text in the bar is now ``text``."""

        text: str

    @dataclass
    class Closed(Message):
        """Done typing: ``keep`` the filter (enter, down) or clear it (esc)."""

        keep: bool

    def compose(self) -> ComposeResult:
        """A label, the field, a note (how many match, or what was not understood)."""
        yield Label("/ filter")
        field = FilterInput(placeholder=PLACEHOLDER, id="filter-input")
        # Only / reaches it: focusable at the start, it took the focus (and the footer,
        # which showed its keys instead of the screen's) before the task table had it.
        field.can_focus = False
        yield field
        yield Label("", id="filter-note")

    @property
    def text(self) -> str:
        """What is typed."""
        return self.query_one(FilterInput).value

    def open(self) -> None:
        """Show the bar and put the cursor in it."""
        self.add_class("-open")
        field = self.query_one(FilterInput)
        field.can_focus = True
        field.focus()
        field.cursor_position = len(field.value)

    def close(self, *, clear: bool) -> None:
        """Hide the bar when it holds nothing (``clear`` empties it first)."""
        field = self.query_one(FilterInput)
        if clear and field.value:
            field.value = ""  # posts Input.Changed: the screen shows every task again
        self.set_class(bool(field.value.strip()), "-open")
        field.can_focus = False

    def note(self, text: str, *, problem: bool = False) -> None:
        """Say how many tasks match, or what was not understood."""
        label = self.query_one("#filter-note", Label)
        label.update(text)
        label.set_class(problem, "-problem")

    @on(Input.Changed, "#filter-input")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Closed(True))
