"""Read the router's inputs (health, budget) from the database at one moment."""

from __future__ import annotations

from convergio_tui.config.schema import Config
from convergio_tui.engine import budget
from convergio_tui.engine.router import BudgetView, HealthView
from convergio_tui.store.models import ProviderHealth, now


def health_views(at: float | None = None) -> dict[str, HealthView]:
    """Each provider's last recorded state; an expired cooldown counts as up again."""
    at = now() if at is None else at
    views: dict[str, HealthView] = {}
    for row in ProviderHealth.select():
        state = row.state
        if state == "cooldown" and row.cooldown_until is not None and row.cooldown_until <= at:
            state = "up"
        detail = row.detail or ""
        if state == "cooldown" and row.cooldown_until:
            detail = f"{detail}; cooling down for {row.cooldown_until - at:.0f}s".lstrip("; ")
        views[row.provider] = HealthView(state, detail)
    return views


def budget_view(config: Config) -> BudgetView:
    """Today's spend and reservations as the router sees them."""
    return budget.status(config.budget).view()
