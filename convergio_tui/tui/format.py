"""Text formatting shared by the widgets: money, durations, ages, status colours."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.color import Color, ColorParseError
from textual.content import Content

from convergio_tui import money as amounts
from convergio_tui.textsafe import one_line

# Theme variable that colours each task/wave/plan status (see tui/themes.py).
STATUS_VARIABLE = {
    "pending": "status-pending",
    "todo": "status-pending",
    "queued": "status-queued",
    "running": "status-running",
    "doing": "status-running",
    "submitted": "status-running",
    "validating": "status-validating",
    "done": "status-done",
    "rejected": "status-failed",
    "failed": "status-failed",
    "escalated": "status-escalated",
    "blocked": "status-blocked",
    "paused": "status-blocked",
    "skipped": "status-pending",
    "cancelled": "status-pending",
    "succeeded": "status-done",
    "interrupted": "status-blocked",
    "timeout": "status-failed",
    "approved": "status-done",
    "retried": "status-queued",
}

STATUS_GLYPH = {
    "pending": "·", "todo": "·", "queued": "◌", "running": "▶", "doing": "▶",
    "submitted": "▶", "validating": "◎", "done": "✔", "rejected": "✘", "failed": "✘",
    "escalated": "⚑", "blocked": "⏸", "paused": "⏸", "skipped": "–", "cancelled": "–",
    "succeeded": "✔", "interrupted": "⏸", "timeout": "⌛", "approved": "✔", "retried": "↻",
}  # fmt: skip


def available(ok: bool) -> bool | None:
    """A ``check_action`` answer: enabled, or shown dimmed (Textual hides on False)."""
    return True if ok else None


def money(usd: float) -> str:
    """Dollars the one way Convergio writes them (``$0.70``, ``<$0.01``, ``$0.00``):
    :func:`convergio_tui.money.usd`."""
    return amounts.usd(usd)


def cost_text(usd: float, credits: float = 0.0) -> str:
    """A run's cost; a credit-billed CLI's (copilot) in credits first:
    :func:`convergio_tui.money.cost`."""
    return amounts.cost(usd, credits)


def duration(seconds: float | None) -> str:
    """``1h02m``, ``4m05s`` or ``12s``; an em dash when unknown."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def ago(at: float | None, now: float) -> str:
    """How long ago ``at`` was, e.g. ``12s ago``."""
    if at is None:
        return "never"
    return f"{duration(now - at)} ago"


def elapsed(started: float | None, finished: float | None, now: float) -> float | None:
    """Seconds from ``started`` to ``finished`` (or to ``now`` while still going)."""
    if started is None:
        return None
    return (finished if finished is not None else now) - started


def colour(variables: Mapping[str, str], name: str) -> str:
    """The theme variable ``name`` as an opaque ``#rrggbb`` Rich can use ('' if unset)."""
    value = variables.get(name)
    if not value:
        return ""
    try:
        return Color.parse(value).with_alpha(1.0).hex6
    except ColorParseError:
        return ""


def status_content(status: str) -> Content:
    """A status word with its glyph, styled by the theme variable for that status."""
    variable = STATUS_VARIABLE.get(status, "status-pending")
    return Content.assemble((f"{STATUS_GLYPH.get(status, '?')} {status}", f"${variable}"))


def status_text(status: str, variables: Mapping[str, str]) -> Text:
    """A status word with its glyph, coloured from the theme's variables."""
    style = colour(variables, STATUS_VARIABLE.get(status, "status-pending"))
    return Text(f"{STATUS_GLYPH.get(status, '?')} {status}", style=style)


def bar(fraction: float, width: int, style: str = "", empty_style: str = "dim") -> Text:
    """A horizontal bar of ``width`` cells filled to ``fraction`` (0..1)."""
    fraction = min(1.0, max(0.0, fraction))
    full = int(fraction * width)
    tip = "╸" if fraction * width - full >= 0.5 and full < width else ""
    text = Text("━" * full + tip, style=style)
    text.append("━" * (width - full - len(tip)), style=empty_style)
    return text


def shorten(text: str, width: int) -> str:
    """``text`` on one line, controls made visible, cut to ``width`` cells with an ellipsis."""
    line = " ".join(one_line(text).split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"
