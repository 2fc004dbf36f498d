"""Read the router's inputs (health, budget) from the database at one moment."""

from __future__ import annotations

from convergio_tui.config.schema import Config
from convergio_tui.engine import budget
from convergio_tui.engine.router import BudgetView, HealthView
from convergio_tui.store.models import ProviderHealth, now
from convergio_tui.store.statements import select_where


def health_views(at: float | None = None) -> dict[str, HealthView]:
    """Each provider's last recorded state; an expired cooldown counts as up again."""
    at = now() if at is None else at
    views: dict[str, HealthView] = {}
    for provider, state, detail, until in select_where(ProviderHealth, _HEALTH_COLUMNS):
        if state == "cooldown" and until is not None and until <= at:
            state = "up"
        detail = detail or ""
        if state == "cooldown" and until:
            detail = f"{detail}; cooling down for {until - at:.0f}s".lstrip("; ")
        views[provider] = HealthView(state, detail)
    return views


# Read several times a second while a plan runs: fixed text (store/statements.py).
_HEALTH_COLUMNS = ("provider", "state", "detail", "cooldown_until")


def budget_view(config: Config) -> BudgetView:
    """Today's spend and reservations as the router sees them."""
    return budget.status(config.budget).view()
