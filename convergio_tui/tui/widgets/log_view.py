"""TaskLogView: a task's log as the panes describe it, or raw, with search.

``/`` (or ctrl+f) opens the search box; typing marks every matching line, Enter jumps to
the first match below the top of the view and hands the keys to the log, where ``n`` and
``N`` go to the next and previous match (wrapping). Esc closes the search. ``j`` switches
between the described lines and the raw JSON the CLI printed; the search follows.
"""

from __future__ import annotations

from collections import deque

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from convergio_tui.textsafe import one_line
from convergio_tui.tui.task_log import LogChunk
from convergio_tui.tui.widgets.line_view import LineView

MAX_LINES = 20_000


class TaskLogView(Vertical):
    """The search box over the log's lines; see the module docstring."""

    DEFAULT_CSS = """
    TaskLogView { height: 1fr; }
    TaskLogView > #log-search { display: none; height: 3; }
    TaskLogView.-searching > #log-search { display: block; }
    TaskLogView > #log-status { display: none; height: 1; padding: 0 1; color: $text-muted; }
    TaskLogView > #log-status.-shown { display: block; }
    TaskLogView > LineView { height: 1fr; }
    """
    BINDINGS = [
        Binding("slash,ctrl+f", "search", "Search", id="log.search"),
        Binding("n", "next_match", "Next match", id="log.next"),
        Binding("N", "previous_match", "Previous match", id="log.previous"),
        Binding("j", "toggle_raw", "Raw JSON", id="log.raw"),
        Binding("escape", "close_search", "Close search", show=False, id="log.close"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.raw = False  # showing the raw JSON lines instead of the described ones
        self._described: deque[Content] = deque(maxlen=MAX_LINES)
        self._raw: deque[Content] = deque(maxlen=MAX_LINES)
        self.term = ""

    def compose(self) -> ComposeResult:
        """The search box (hidden until ``/``) and the lines."""
        yield Input(placeholder="search the log: enter jumps, n/N next/previous, esc closes",
                    id="log-search")  # fmt: skip
        yield Static("", id="log-status")
        yield LineView(max_lines=MAX_LINES, follow=True, id="log-lines")

    @property
    def lines(self) -> LineView:
        """The line view."""
        return self.query_one(LineView)

    def write(self, chunk: LogChunk) -> None:
        """Append what was read of the task's runs."""
        self._described.extend(chunk.described)
        self._raw.extend(chunk.raw)
        self.lines.append_lines(chunk.raw if self.raw else chunk.described)
        if self.term:
            self._say_matches()

    def action_toggle_raw(self) -> None:
        """Show the raw JSON lines, or the described ones again."""
        self.raw = not self.raw
        view = self.lines
        view.set_lines(list(self._raw if self.raw else self._described))
        view.anchor()  # at the end again, following
        view.search(self.term)
        self._say_matches()

    def action_search(self) -> None:
        """Open the search box (or go back to it)."""
        self.add_class("-searching")
        self.query_one("#log-search", Input).focus()

    def action_close_search(self) -> None:
        """Close the search box and clear the marks; Esc goes on to the screen otherwise."""
        if not self.has_class("-searching"):
            raise SkipAction()
        self.remove_class("-searching")
        search = self.query_one("#log-search", Input)
        search.value = ""
        self.term = ""
        self.lines.search("")
        self._say_matches()
        self.lines.focus()

    def action_next_match(self) -> None:
        """Go to the next match."""
        self._jump(backward=False)

    def action_previous_match(self) -> None:
        """Go to the previous match."""
        self._jump(backward=True)

    def _jump(self, *, backward: bool) -> None:
        if not self.term:
            raise SkipAction()
        self.lines.next_match(backward=backward)
        self._say_matches()

    @on(Input.Changed, "#log-search")
    def _term_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.term = event.value
        self.lines.search(self.term)
        self._say_matches()

    @on(Input.Submitted, "#log-search")
    def _term_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.term:
            self.lines.next_match()
            self.lines.focus()
        self._say_matches()

    def _say_matches(self) -> None:
        """The match count (and which lines are shown) on the status line."""
        view = self.lines
        status = self.query_one("#log-status", Static)
        parts = ["raw JSON (j: described)"] if self.raw else []
        if self.term:
            found = view.matches
            current = view.current_match
            term = f"“{one_line(self.term)[:40]}”"
            if not found:
                parts.append(f"{term}: no match")
            elif current is None:
                parts.append(f"{term}: {len(found)} match{'es' if len(found) != 1 else ''}")
            else:
                parts.append(f"{term}: match {found.index(current) + 1} of {len(found)}")
        status.update(Content(" · ".join(parts)))
        status.set_class(bool(parts), "-shown")
