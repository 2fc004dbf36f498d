"""DiffView: a task's (or a wave's) diff, syntax highlighted, with a list of its files.

The diff is read and rendered on a worker thread (``engine/task_diff.py`` reads git,
``tui/diff_render.py`` makes the lines); the UI thread only swaps the lines in. The file
list jumps to a file as its cursor moves; ``]`` and ``[`` go to the next and previous
file from the code, and ``z`` gives the whole screen to the diff (Esc gives it back).
What a task's diff is, and why it stays readable after the merge: engine/task_diff.py.
"""

from __future__ import annotations

import bisect

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.worker import Worker, WorkerState, get_current_worker

from convergio_tui.engine.task_diff import task_diff, wave_diff
from convergio_tui.textsafe import one_line
from convergio_tui.tui.diff_render import RenderedDiff, render_diff
from convergio_tui.tui.widgets.line_view import LineView


class DiffView(Vertical):
    """Summary, file list and the diff's lines; see the module docstring."""

    ALLOW_MAXIMIZE = True
    DEFAULT_CSS = """
    DiffView { height: 1fr; }
    DiffView > #diff-summary { height: auto; max-height: 4; padding: 0 1; }
    DiffView > #diff-files { height: auto; max-height: 6; border: none; padding: 0;
                             scrollbar-size-vertical: 1; }
    DiffView > #diff-files.-empty { display: none; }
    DiffView > LineView { height: 1fr; }
    """
    BINDINGS = [
        Binding("right_square_bracket", "next_file", "Next file", key_display="]",
                id="diff.next"),
        Binding("left_square_bracket", "previous_file", "Previous file", key_display="[",
                id="diff.previous"),
        Binding("z", "zoom", "Zoom", id="diff.zoom"),
    ]  # fmt: skip

    class Loaded(Message):
        """The diff was read and rendered."""

        def __init__(self, rendered: RenderedDiff) -> None:
            super().__init__()
            self.rendered = rendered

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rendered: RenderedDiff | None = None
        self._target: tuple[str, int] | None = None
        self._recorded = ""

    def compose(self) -> ComposeResult:
        """The summary line, the file list and the lines."""
        yield Static("", id="diff-summary")
        yield OptionList(id="diff-files", classes="-empty")
        yield LineView(id="diff-lines")

    @property
    def lines(self) -> LineView:
        """The diff's line view."""
        return self.query_one("#diff-lines", LineView)

    def show_task(self, task_id: int, recorded_stat: str = "") -> None:
        """Read and show the diff task ``task_id`` contributed (``recorded_stat``, Thor's
        stat of an escalation, stands in when git cannot give it)."""
        self._recorded = recorded_stat
        self._show(("task", task_id))

    def show_wave(self, wave_id: int, recorded_stat: str = "") -> None:
        """Read and show wave ``wave_id``'s diff against the branch it started from."""
        self._recorded = recorded_stat
        self._show(("wave", wave_id))

    def reload(self) -> None:
        """Read the same diff again (a new round was committed)."""
        if self._target is not None:
            self._load(*self._target)

    def _show(self, target: tuple[str, int]) -> None:
        self._target = target
        if self.rendered is None:
            self.query_one("#diff-summary", Static).update("reading the diff…")
        self._load(*target)

    @work(thread=True, exclusive=True, group="diff", name="reading the diff", exit_on_error=False)
    def _load(self, kind: str, ident: int) -> None:
        diff = task_diff(ident) if kind == "task" else wave_diff(ident)
        rendered = render_diff(diff, self._recorded)
        if not get_current_worker().is_cancelled:  # a newer read replaced this one
            self.post_message(self.Loaded(rendered))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A read that failed says so where the diff would be (the screen notifies too)."""
        if event.worker.group == "diff" and event.state is WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#diff-summary", Static).update(
                f"Could not read the diff: {one_line(str(error))[:200]}"
            )

    def on_diff_view_loaded(self, message: DiffView.Loaded) -> None:
        """Swap the new lines in, keeping the place when it is the same diff again."""
        message.stop()
        same = self.rendered is not None and self.rendered.key == message.rendered.key
        self.rendered = rendered = message.rendered
        self.query_one("#diff-summary", Static).update(rendered.summary)
        if same:
            return
        files = self.query_one("#diff-files", OptionList)
        files.set_options(rendered.labels)
        files.set_class(not rendered.labels, "-empty")
        self.lines.set_lines(rendered.lines, rendered.fills)

    @on(OptionList.OptionHighlighted, "#diff-files")
    def _file_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._jump(event.option_index)

    @on(OptionList.OptionSelected, "#diff-files")
    def _file_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._jump(event.option_index)
        self.lines.focus()

    def _jump(self, index: int) -> None:
        if self.rendered is not None and 0 <= index < len(self.rendered.starts):
            self.lines.scroll_to_line(self.rendered.starts[index])

    def current_file(self) -> int:
        """The index of the file at the top of the view (-1 before the first)."""
        if self.rendered is None:
            return -1
        return bisect.bisect_right(self.rendered.starts, round(self.lines.scroll_y)) - 1

    def action_next_file(self) -> None:
        """Go to the next file."""
        self._step(1)

    def action_previous_file(self) -> None:
        """Go to the previous file."""
        self._step(-1)

    def _step(self, step: int) -> None:
        if self.rendered is None or not self.rendered.starts:
            return
        index = max(0, min(len(self.rendered.starts) - 1, self.current_file() + step))
        files = self.query_one("#diff-files", OptionList)
        if files.highlighted == index:
            self._jump(index)
        else:
            files.highlighted = index  # jumps through OptionHighlighted

    def action_zoom(self) -> None:
        """Give the diff the whole screen, or give it back."""
        if self.screen.maximized is self:
            self.screen.minimize()
        elif self.screen.maximize(self, container=False):
            self.lines.focus()
