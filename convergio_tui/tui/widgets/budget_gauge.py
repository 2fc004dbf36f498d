"""BudgetGauge: today's premium spend against the cap, by provider, over the day."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, Sparkline

from convergio_tui.engine.budget import BudgetStatus
from convergio_tui.store.queries import OverrunLine
from convergio_tui.tui.format import cost_text, money
from convergio_tui.tui.widgets.text_block import TextBlock

LEVELS = ("ok", "alert", "capped")


def budget_level(status: BudgetStatus) -> str:
    """``capped`` at the cap, ``alert`` at the alert threshold, else ``ok``."""
    if status.capped:
        return "capped"
    return "alert" if status.alert else "ok"


@dataclass(frozen=True)
class GaugeView:
    """What the gauge shows: the status, spend per slice of the day, premium requests."""

    status: BudgetStatus
    series: tuple[float, ...]
    premium_requests: tuple[tuple[str, float], ...]
    credits: tuple[tuple[str, float], ...] = ()  # AI credits per credit-billed provider
    overruns: tuple[OverrunLine, ...] = ()  # today's runs that cost more than reserved


def summary_line(status: BudgetStatus, width: int) -> Content:
    """Spend, cap, share, the headroom left for new reservations and what running
    premium runs hold, as much of it as fits ``width`` cells."""
    spent, cap = money(status.spent_usd), money(status.cap_usd)
    pct, alert = f"{status.pct:.0f}%", f"{status.alert_threshold_pct:.0f}%"
    left = f"{money(max(0.0, status.headroom_usd))} headroom"
    held = f" · {money(status.reserved_usd)} reserved" if status.reserved_usd > 0 else ""
    muted = "$foreground-muted"
    candidates = (
        Content.assemble((spent, "bold"), f" of {cap} premium", (f" · {pct}", "bold"),
                         f" · {left}", (f"{held} · alert at {alert}", muted)),
        Content.assemble((spent, "bold"), f"/{cap}", (f" {pct}", "bold"), f" · {left}", (held, muted)),
        Content.assemble((spent, "bold"), f"/{cap}", (f" {pct}", "bold"), f" · {left}"),
    )  # fmt: skip
    return next((c for c in candidates if c.cell_length <= width), candidates[-1])


class BudgetGauge(Vertical):
    """Amber at the alert threshold, red at the cap; posts ``LevelRaised`` on the way up."""

    DEFAULT_CSS = """
    BudgetGauge > #budget-bar { height: 1; }
    BudgetGauge > #budget-summary { height: 1; }
    BudgetGauge > #budget-providers { height: auto; max-height: 2; }
    BudgetGauge > #budget-trend { height: 1; }
    BudgetGauge > #budget-trend > Label { width: auto; color: $foreground-muted; }
    BudgetGauge > #budget-trend > Sparkline { width: 1fr; }
    """

    class LevelRaised(Message):
        """Spend crossed the alert threshold or the cap (``level`` is alert|capped)."""

        def __init__(self, level: str, status: BudgetStatus) -> None:
            super().__init__()
            self.level = level
            self.status = status

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.level = "ok"
        self._view: GaugeView | None = None
        self.border_title = "Budget today"

    def compose(self) -> ComposeResult:
        """Summary line, bar, spend by provider, sparkline of the day."""
        yield TextBlock("reading the ledger…", id="budget-summary")
        yield TextBlock("", id="budget-bar")
        yield TextBlock("", id="budget-providers")
        with Horizontal(id="budget-trend"):
            yield Label("spend over the day ")
            yield Sparkline([], summary_function=sum, id="budget-sparkline")

    def show(self, view: GaugeView) -> None:
        """Display ``view``; post ``LevelRaised`` when the level went up."""
        if view == self._view:
            return
        self._view = view
        status = view.status
        level = budget_level(status)
        for name in LEVELS[1:]:
            self.set_class(level == name, f"-{name}")
        if LEVELS.index(level) > LEVELS.index(self.level):
            self.post_message(self.LevelRaised(level, status))
        self.level = level
        self.border_title = f"Budget today · {status.date}"
        subtitle = {"ok": "", "alert": "ALERT", "capped": "CAP REACHED"}[level]
        if view.overruns:
            last = view.overruns[0]
            over = f"{len(view.overruns)} OVERRUN{'S' if len(view.overruns) > 1 else ''}: "
            over += f"{last.provider} {money(last.actual_usd)} > {money(last.reserved_usd)}"
            subtitle = f"{subtitle} · {over}" if subtitle else over
        self.border_subtitle = subtitle
        self._render_bar()
        self.query_one("#budget-providers", TextBlock).show(self._providers(view))
        self.query_one("#budget-sparkline", Sparkline).data = list(view.series)

    def on_resize(self) -> None:
        """The bar fills the width."""
        self._render_bar()

    def _render_bar(self) -> None:
        if self._view is None:
            return
        width = max(10, self.content_region.width)
        status = self._view.status
        self.query_one("#budget-summary", TextBlock).show(summary_line(status, width))
        fraction = min(1.0, self._view.status.pct / 100)
        filled = round(width * fraction)
        # The filled part takes its colour from CSS (-alert / -capped), the rest is dimmed.
        bar = Content.assemble(("━" * filled, "bold"), ("─" * (width - filled), "dim"))
        self.query_one("#budget-bar", TextBlock).show(bar)

    def _providers(self, view: GaugeView) -> Content:
        requests, credits = dict(view.premium_requests), dict(view.credits)
        names = sorted(set(view.status.by_provider) | set(requests))
        if not names:
            return Content.styled("no charges yet today", "$foreground-muted")
        parts: list[Content | str | tuple[str, str]] = [("by provider ", "$foreground-muted")]
        for i, name in enumerate(names):
            if i:
                parts.append(("· ", "$foreground-muted"))
            usd = view.status.by_provider.get(name, 0.0)
            if usd == 0 and name in requests:  # zero-tier: premium requests, not dollars
                parts.append(f"{name} {requests[name]:g} req ")
            else:
                spent = "$0" if usd == 0 else money(usd)
                parts.append(
                    f"{name} {cost_text(usd, credits[name]) if name in credits else spent} "
                )
        return Content.assemble(*parts)
