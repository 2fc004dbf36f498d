"""OutputPane: the streaming output of one running task (follow mode, bounded lines)."""

from __future__ import annotations

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Log

from convergio_tui.providers.describe import DONE, FAILED, RESULT, STARTED, TOOL
from convergio_tui.store.queries import RunningRun
from convergio_tui.textsafe import one_line
from convergio_tui.tui.format import duration
from convergio_tui.tui.pane_lines import ERR_MARK, NOTE_MARK
from convergio_tui.tui.tailer import Drained

MAX_LINES = 1000
# A line's first characters say what it is; the pane colours it from the theme.
_KINDS = ((NOTE_MARK, "note"), (DONE, "done"), (FAILED, "failed"), (f"{RESULT} error", "warn"),
          (TOOL, "tool"), (RESULT, "quiet"), (STARTED, "tool"), ("… ", "note"))  # fmt: skip


def line_kind(line: str) -> str | None:
    """``err``, ``note``, ``done``, ``failed``, ``warn``, ``tool``, ``quiet`` or None (text).

    A failure on stderr (Gemini prints its fatal errors there) reads as a failure.
    """
    err = line.startswith(ERR_MARK)
    body = line[len(ERR_MARK) :] if err else line
    for mark, kind in _KINDS:
        if body.startswith(mark):
            return kind
    return "err" if err else None


class _MarkHighlighter(Highlighter):
    """Styles a whole pane line by its mark: stderr dim, the end green or red."""

    def __init__(self, log: PaneLog) -> None:
        self.log = log

    def highlight(self, text: Text) -> None:
        """Apply the component style of the line's kind, if it has one."""
        kind = line_kind(text.plain)
        if kind is not None:
            # The full style resolves translucent theme colours ($text-muted) against the
            # background; the background itself is left to the log (it tints on focus).
            full = self.log.get_component_rich_style(f"pane-log--{kind}")
            text.stylize(Style(color=full.color, bold=full.bold, dim=full.dim, italic=full.italic))


class PaneLog(Log):
    """A ``Log`` whose lines are coloured by their mark (``[err]``, ``✔``, ``⚙``…)."""

    # A pane is as big as its place in the grid, whatever it holds. Textual lays the whole
    # screen out again when a widget's virtual size changes, which draws every widget
    # again: with a dozen panes each gaining lines until they hold MAX_LINES, that was a
    # layout for nearly every batch of output. The lines a pane gains move its own
    # scrollbar and scroll range only (``_scroll_update``, what the layout would have
    # done for it); a scrollbar appearing still asks for a layout itself.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self, size: Size) -> None:
        """The lines' extent changed: update the scrollbars and scroll range."""
        self._scroll_update(size)

    COMPONENT_CLASSES = {"pane-log--err", "pane-log--note", "pane-log--done",
                         "pane-log--failed", "pane-log--warn", "pane-log--tool",
                         "pane-log--quiet"}  # fmt: skip
    DEFAULT_CSS = """
    PaneLog > .pane-log--err { color: $text-muted; text-style: dim; }
    PaneLog > .pane-log--note { color: $text-muted; text-style: italic; }
    PaneLog > .pane-log--done { color: $status-done; }
    PaneLog > .pane-log--failed { color: $status-failed; text-style: bold; }
    PaneLog > .pane-log--warn { color: $text-warning; }
    PaneLog > .pane-log--tool { color: $text-secondary; }
    PaneLog > .pane-log--quiet { color: $text-muted; }
    """

    def __init__(self, *, max_lines: int) -> None:
        super().__init__(highlight=True, max_lines=max_lines, auto_scroll=True)
        self.highlighter = _MarkHighlighter(self)


class OutputPane(Vertical):
    """A bordered ``Log`` titled with the task, provider, model, round and elapsed time."""

    DEFAULT_CSS = """
    OutputPane {
        border: round $frame;
        border-title-color: $status-running;
        height: 1fr;
        width: 1fr;
    }
    OutputPane:focus-within { border: round $accent; }
    OutputPane > Log { height: 1fr; scrollbar-size-vertical: 1; }
    """

    def compose(self) -> ComposeResult:
        """The log, following its end."""
        yield PaneLog(max_lines=MAX_LINES)

    def __init__(self, run: RunningRun, now: float) -> None:
        super().__init__()
        self.run = run
        self.lines_written = 0
        self.selected = False
        self._now = now
        self.retitle(now)

    def rebind(self, run: RunningRun, now: float) -> None:
        """Show ``run`` here instead, from an empty log: a pane changes its run in place
        (a mount and a layout of the grid are what a key press must not cost)."""
        self.run, self.lines_written = run, 0
        for log in self.query(Log):
            log.clear()
        self.retitle(now)

    def mark(self, selected: bool) -> None:
        """Mark this pane as the selected task's: its title drawn reversed, as the table's
        cursor row. A title, not a CSS class: a class restyles the pane and its log (every
        line drawn again), a title redraws the frame only."""
        if selected != self.selected:
            self.selected = selected
            self.retitle(self._now)

    def retitle(self, now: float) -> None:
        """``T2-01 · claude·claude-opus-4-5 · round 1`` over ``running 3m12s``."""
        run, self._now = self.run, now
        # A Content, not a str: a border title string is parsed as markup.
        title = Content(one_line(f"{run.code} · {run.provider}·{run.model} · round {run.round}"))
        self.border_title = title.stylize("reverse") if self.selected else title
        took = duration(now - run.started_at)
        self.border_subtitle = f"running {took}" + (
            "" if self.lines_written else " · waiting for output"
        )

    def append(self, drained: Drained) -> None:
        """Write what the tailer drained, saying how much was left out."""
        log = self.query_one(Log)
        lines = list(drained.lines)
        if drained.skipped_bytes or drained.dropped_lines:
            skipped = []
            if drained.skipped_bytes:
                skipped.append(f"{drained.skipped_bytes / 1e6:.1f} MB")
            if drained.dropped_lines:
                skipped.append(f"{drained.dropped_lines:,} lines")
            lines.insert(
                0, f"… {' and '.join(skipped)} not shown here (the task detail has the log) …"
            )
        if lines:
            log.write_lines(lines)
            if not self.lines_written:
                self.lines_written = len(lines)
                self.retitle(self._now)
            else:
                self.lines_written += len(lines)
