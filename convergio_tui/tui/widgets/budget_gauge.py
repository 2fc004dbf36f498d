"""BudgetGauge: where the money goes today. Premium spend against the cap (a bar that
turns amber at the alert threshold and red at the cap), the burn rate and when the cap
is reached at it, spend per provider and per plan, the reservations in flight, overruns
(runs that cost more than they reserved) and the spend over the day."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, Sparkline

from convergio_tui.engine.budget import BudgetStatus
from convergio_tui.engine.burn import Burn
from convergio_tui.store.queries import InFlight, OverrunLine, PlanSpend
from convergio_tui.tui.widgets.budget_lines import (
    burn_line,
    in_flight_line,
    overrun_text,
    plans_line,
    providers_line,
    summary_line,
)
from convergio_tui.tui.widgets.text_block import TextBlock

if TYPE_CHECKING:
    from convergio_tui.tui.poller import PlanDelta

LEVELS = ("ok", "alert", "capped")
# The one-line rows, in the order they give way when the panel is short.
ROWS = ("budget-summary", "budget-bar", "budget-burn", "budget-providers", "budget-flight",
        "budget-plans")  # fmt: skip

__all__ = ["BudgetGauge", "GaugeView", "budget_level", "summary_line"]


def budget_level(status: BudgetStatus) -> str:
    """``capped`` at the cap, ``alert`` at the alert threshold, else ``ok``."""
    if status.capped:
        return "capped"
    return "alert" if status.alert else "ok"


@dataclass(frozen=True)
class GaugeView:
    """What the gauge shows: the status, spend per slice of the day, premium requests,
    AI credits, overruns, the burn rate, spend per plan and reservations in flight."""

    status: BudgetStatus
    series: tuple[float, ...]
    premium_requests: tuple[tuple[str, float], ...]
    credits: tuple[tuple[str, float], ...] = ()  # AI credits per credit-billed provider
    overruns: tuple[OverrunLine, ...] = ()  # today's runs that cost more than reserved
    burn: Burn | None = None
    plan_spend: tuple[PlanSpend, ...] = ()
    in_flight: tuple[InFlight, ...] = ()

    @classmethod
    def of(cls, delta: PlanDelta) -> GaugeView:
        """The gauge's part of one poll."""
        return cls(delta.budget, delta.spend_series, delta.premium_requests, delta.credits,
                   delta.overruns, delta.burn, delta.plan_spend, delta.in_flight)  # fmt: skip


class BudgetGauge(Vertical):
    """Amber at the alert threshold, red at the cap; posts ``LevelRaised`` on the way up."""

    DEFAULT_CSS = """
    BudgetGauge > TextBlock { height: 1; }
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
        self._shown: dict[str, str] = {}
        self.border_title = "Budget today"

    def compose(self) -> ComposeResult:
        """Summary, bar, burn rate, spend by provider, in flight, by plan, the day's trend."""
        yield TextBlock("reading the ledger…", id="budget-summary")
        for row in ROWS[1:]:
            yield TextBlock("", id=row)
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
        over = overrun_text(view.overruns)
        self.border_subtitle = f"{subtitle} · {over}" if subtitle and over else subtitle or over
        self._render_lines()
        self.query_one("#budget-sparkline", Sparkline).data = list(view.series)

    def on_resize(self) -> None:
        """Every line is fitted to the width."""
        self._render_lines()

    def lines(self) -> dict[str, str]:
        """What each row shows now, as plain text (for tests and screenshots)."""
        return dict(self._shown)

    def _render_lines(self) -> None:
        view = self._view
        if view is None:
            return
        width = max(10, self.content_region.width)
        status = view.status
        fraction = min(1.0, status.pct / 100)
        filled = round(width * fraction)
        # The filled part takes its colour from CSS (-alert / -capped), the rest is dimmed.
        bar = Content.assemble(("━" * filled, "bold"), ("─" * (width - filled), "dim"))
        shown = {
            "budget-summary": summary_line(status, width),
            "budget-bar": bar,
            "budget-burn": burn_line(view.burn, width),
            "budget-providers": providers_line(
                status.by_provider, dict(view.premium_requests), dict(view.credits), width
            ),
            "budget-flight": in_flight_line(view.in_flight, width),
            "budget-plans": plans_line(view.plan_spend, width),
        }
        for row, content in shown.items():
            self.query_one(f"#{row}", TextBlock).show(content)
        self._shown = {row: content.plain for row, content in shown.items()}
