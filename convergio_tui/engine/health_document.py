"""What ``convergio health`` shows from the cached checks, and when a check is due: pure,
so the quick command (cli/quick.py) decides and prints without peewee."""

from __future__ import annotations

from collections.abc import Mapping

from convergio_tui.config.schema import Config
from convergio_tui.engine.health_verdict import reason_of, split_detail
from convergio_tui.store.health_sql import HealthRow


def is_due(row: HealthRow | None, ttl_s: float, at: float) -> bool:
    """Whether a provider whose last check is ``row`` must be checked again at ``at``."""
    if row is None:
        return True
    if row.cooldown_until is not None and row.cooldown_until > at:
        return False  # not before the backoff ends, however old the check is
    if row.state != "up" and row.cooldown_until is not None:
        return True  # the backoff ended: look again
    return at - row.checked_at >= ttl_s


def document_of(
    config: Config, rows: Mapping[str, HealthRow], at: float
) -> dict[str, dict[str, object]]:
    """The JSON of ``convergio health --json`` (docs/cli.md) from the cached ``rows``."""
    doc: dict[str, dict[str, object]] = {}
    for name in config.providers:
        row = rows.get(name)
        if not config.providers[name].enabled:
            doc[name] = {"state": "down", "latency_ms": None, "detail": "disabled in the configuration",
                         "cooldown_until": None, "enabled": False}  # fmt: skip
            continue
        if row is None:
            doc[name] = {"state": "down", "latency_ms": None, "detail": "not checked yet",
                         "cooldown_until": None}  # fmt: skip
            continue
        state = row.state
        if state == "cooldown" and row.cooldown_until is not None and row.cooldown_until <= at:
            state = "up"  # the cooldown is over; the next check will confirm
        doc[name] = {
            "state": state, "latency_ms": row.latency_ms, "detail": row.detail,
            "reason": reason_of(row.detail) if state != "up" else None,
            "fix": (split_detail(row.detail or "")[1] or None) if state != "up" else None,
            "cooldown_until": row.cooldown_until if state != "up" else None,
            "version": row.version, "checked_at": row.checked_at,
            "consecutive_failures": row.consecutive_failures,
            "enabled": config.providers[name].enabled,
        }  # fmt: skip
    return doc
