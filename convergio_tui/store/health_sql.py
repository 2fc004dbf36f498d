"""Each provider's last health check, read in plain SQL over one ``sqlite3`` connection
(no peewee): ``convergio health`` within the TTL reads only this (cli/quick.py)."""

from __future__ import annotations

import sqlite3

from convergio_tui.frozen import Frozen, frozen


@frozen
class HealthRow(Frozen):
    """One provider's row of ``provider_health``."""

    provider: str
    state: str
    latency_ms: float | None
    detail: str | None
    version: str | None
    checked_at: float
    consecutive_failures: int
    cooldown_until: float | None


def health_rows(con: sqlite3.Connection) -> dict[str, HealthRow]:
    """Every provider's last check, by provider name."""
    rows = con.execute(
        "SELECT provider, state, latency_ms, detail, version, checked_at,"
        " consecutive_failures, cooldown_until FROM provider_health"
    )
    return {str(row[0]): HealthRow(*row) for row in rows}
