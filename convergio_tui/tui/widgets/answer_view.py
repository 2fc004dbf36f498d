"""AnswerView: the agent's final answer, rendered as Markdown.

For a review or research task that answer is the result; for any task it is what the
agent said it did. It is the agent's text: terminal controls are made inert
(``textsafe.printable``) before the Markdown is parsed, links are not opened on a click,
and a runaway answer is cut (the raw log keeps it whole).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from convergio_tui.textsafe import printable

MAX_ANSWER_CHARS = 100_000
NO_ANSWER = "*No answer recorded yet: the agent's final message shows here once a run ends.*"


def answer_markdown(text: str | None) -> str:
    """The Markdown to show for ``text`` (made safe, cut, or the no-answer line)."""
    if not text or not text.strip():
        return NO_ANSWER
    safe = printable(text)
    if len(safe) > MAX_ANSWER_CHARS:
        more = len(safe) - MAX_ANSWER_CHARS
        safe = safe[:MAX_ANSWER_CHARS] + f"\n\n*… {more:,} more characters: the log has them.*"
    return safe


class AnswerView(VerticalScroll):
    """A scrolling Markdown view of the answer; :meth:`show` changes it only when it changed."""

    DEFAULT_CSS = """
    AnswerView { height: 1fr; padding: 0 1; }
    AnswerView > Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.markdown: str | None = None

    def compose(self) -> ComposeResult:
        """The Markdown widget (links shown, not followed)."""
        yield Markdown(NO_ANSWER, open_links=False)

    def show(self, text: str | None) -> None:
        """Show ``text`` (the answer of the task's last run)."""
        markdown = answer_markdown(text)
        if markdown != self.markdown:
            self.markdown = markdown
            self.query_one(Markdown).update(markdown)
