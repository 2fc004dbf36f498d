"""Provider health: each provider's last probe, as the dashboard's health panel shows it."""

from __future__ import annotations

from dataclasses import dataclass

from convergio_tui.store.models import ProviderHealth


@dataclass(frozen=True)
class HealthLine:
    """One provider's last known health."""

    provider: str
    state: str
    latency_ms: float | None
    checked_at: float
    cooldown_until: float | None
    consecutive_failures: int
    last_error: str | None
    detail: str


def provider_health() -> tuple[HealthLine, ...]:
    """Every provider's last recorded health, by name."""
    query = ProviderHealth.select(
        ProviderHealth.provider,
        ProviderHealth.state,
        ProviderHealth.latency_ms,
        ProviderHealth.checked_at,
        ProviderHealth.cooldown_until,
        ProviderHealth.consecutive_failures,
        ProviderHealth.last_error,
        ProviderHealth.detail,
    ).order_by(ProviderHealth.provider)
    return tuple(HealthLine(*row) for row in query.tuples())
