"""HealthPanel: each provider's state, latency, last check, cooldown and last error."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content

from convergio_tui.engine.health_verdict import split_detail
from convergio_tui.store.queries import HealthLine
from convergio_tui.tui.format import duration, shorten
from convergio_tui.tui.widgets.text_block import TextBlock

STATE_GLYPH = {"up": "●", "down": "✘", "cooldown": "◐"}
MUTED = "$foreground-muted"
WIDE = 54  # below this many cells the panel drops the error column
NARROW = 46  # below this, one short detail per provider


def effective_state(line: HealthLine, now: float) -> str:
    """``cooldown`` ends by itself when its time is up."""
    if line.state == "cooldown" and line.cooldown_until is not None and line.cooldown_until <= now:
        return "up"
    return line.state


def health_content(line: HealthLine, now: float, width: int) -> Content:
    """One provider's line, with as many columns as ``width`` allows."""
    state = effective_state(line, now)
    latency = f"{line.latency_ms:.0f} ms" if line.latency_ms is not None and state == "up" else "—"
    left = ""
    if state == "cooldown" and line.cooldown_until is not None:
        left = duration(line.cooldown_until - now)
    name = (f"{line.provider:<9}", "bold")
    status = (
        f"{STATE_GLYPH.get(state, '?')} {state:<9}",
        f"$health-{state}" if state in STATE_GLYPH else "",
    )
    if width < NARROW:
        return Content.assemble(name, status, f"{f'{left} left' if left else latency:>10}")
    checked = f"{duration(now - line.checked_at)} ago"
    parts: list[str | tuple[str, str]] = [
        name, status, f"{latency:>7} {checked:>9} ", (f"{left:>8}", "$health-cooldown"),
    ]  # fmt: skip
    if width >= WIDE:
        # Not up: what the last check (or run) found; up after failures: the last error.
        error = split_detail(line.last_error or line.detail)[0] if state != "up" else ""
        if not error and line.consecutive_failures:
            error = line.last_error or ""
        parts.append(("  " + shorten(error, max(4, width - 48)), "$health-down"))
    return Content.assemble(*parts)


def fix_content(line: HealthLine, now: float, width: int) -> Content | None:
    """The line under a provider that is not up: what to do about it (None: nothing)."""
    fix = split_detail(line.last_error or line.detail)[1]
    if not fix or effective_state(line, now) == "up":
        return None
    return Content.styled("  " + shorten(f"fix: {fix}", max(8, width - 2)), MUTED)


def header_content(width: int) -> Content:
    """The column labels, aligned with :func:`health_content`."""
    if width < NARROW:
        return Content.styled(f"{'provider':<9}{'state':<11}{'latency':>10}", MUTED)
    text = f"{'provider':<9}{'state':<11}{'latency':>7} {'checked':>9} {'cooldown':>8}"
    return Content.styled(text + ("  last error" if width >= WIDE else ""), MUTED)


class HealthPanel(VerticalScroll):
    """The provider health table; countdowns move every ``tick``."""

    DEFAULT_CSS = """
    HealthPanel { height: 1fr; }
    HealthPanel > #health-lines { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=False)
        self._lines: tuple[HealthLine, ...] = ()
        self._now = 0.0
        self.border_title = "Provider health"

    def compose(self) -> ComposeResult:
        """A single text block."""
        yield TextBlock(
            "no health checks recorded yet (convergio health --refresh)", id="health-lines"
        )

    def show(self, lines: tuple[HealthLine, ...], now: float) -> None:
        """Display ``lines`` as of ``now``."""
        self._lines, self._now = lines, now
        self._render_lines()

    def tick(self, now: float) -> None:
        """Advance countdowns and ages."""
        self._now = now
        self._render_lines()

    def on_resize(self) -> None:
        """Columns depend on the width."""
        self._render_lines()

    def _render_lines(self) -> None:
        if not self._lines:
            return
        width = self.scrollable_content_region.width
        rows = [header_content(width)]
        for line in self._lines:
            rows.append(health_content(line, self._now, width))
            fix = fix_content(line, self._now, width)
            if fix is not None:
                rows.append(fix)
        self.query_one("#health-lines", TextBlock).show(Content("\n").join(rows))
        up = sum(effective_state(h, self._now) == "up" for h in self._lines)
        self.border_title = f"Provider health · {up}/{len(self._lines)} up"
