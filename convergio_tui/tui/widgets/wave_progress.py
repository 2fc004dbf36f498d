"""WaveProgress: one progress bar per wave of the plan."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content

from convergio_tui.store.queries import WaveLine
from convergio_tui.tui.format import shorten, status_content
from convergio_tui.tui.widgets.text_block import TextBlock

ONE_LINE_WIDTH = 72


def wave_content(wave: WaveLine, width: int) -> Content:
    """A wave on one line when ``width`` allows it, else on two (name, then bar)."""
    extra = [f"{wave.running} running"] if wave.running else []
    if wave.failed:
        extra.append(f"{wave.failed} failed")
    tail = (f" · {' · '.join(extra)}" if extra else "", "$foreground-muted")
    counts = f" {wave.done}/{wave.total} done"
    if width >= ONE_LINE_WIDTH:
        return Content.assemble(
            (f"W{wave.seq} ", "bold"), f"{shorten(wave.name, 18):<18} ", status_content(wave.status),
            " " * max(1, 13 - len(wave.status)), _bar(wave, max(8, width - 52)), counts, tail,
        )  # fmt: skip
    name = shorten(wave.name, max(6, width - 16))
    first = Content.assemble((f"W{wave.seq} ", "bold"), f"{name}  ", status_content(wave.status))
    cells = max(6, min(24, width - 4 - len(counts) - len(tail[0])))
    second = Content.assemble("   ", _bar(wave, cells), counts, tail)
    return Content("\n").join([first, second])


def _bar(wave: WaveLine, cells: int) -> Content:
    filled = round(cells * wave.done / wave.total) if wave.total else 0
    return Content.assemble(("━" * filled, "$status-done"), ("━" * (cells - filled), "$frame"))


class WaveProgress(VerticalScroll):
    """The plan's waves, each with a bar of done tasks; scrolls when there are many."""

    DEFAULT_CSS = """
    WaveProgress {
        height: 1fr;
    }
    WaveProgress > #wave-lines {
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=False)
        self._waves: tuple[WaveLine, ...] = ()
        self.border_title = "Waves"

    def compose(self) -> ComposeResult:
        """A single text block, rewritten when the waves change."""
        yield TextBlock("no waves yet", id="wave-lines")

    def show(self, waves: tuple[WaveLine, ...]) -> None:
        """Display ``waves`` (only re-rendered when something changed)."""
        if waves == self._waves:
            return
        self._waves = waves
        self._render_lines()

    def on_resize(self) -> None:
        """Bars take what width there is."""
        self._render_lines()

    def _render_lines(self) -> None:
        if not self._waves:
            return
        width = max(24, self.scrollable_content_region.width)
        lines = [wave_content(w, width) for w in self._waves]
        self.query_one("#wave-lines", TextBlock).show(Content("\n").join(lines))
        done = sum(w.status == "done" for w in self._waves)
        self.border_title = f"Waves · {done}/{len(self._waves)} done"
