"""Provider health: a TTL cache of checks in ``provider_health``, cooldowns.

What each check proves per CLI is in docs/providers/health.md.

A check (:mod:`.health_probe`) runs the provider's CLI in a run's sandbox and
environment, proves its credentials the cheapest real way the CLI allows and asks a
local endpoint for its models; it is ``up`` only when all of that holds. Problems a
person must fix (CLI missing, no or refused credentials) make the provider ``down``;
transient ones (a slow check, an API not answering, a rate limit, or an auth / rate /
model error seen in an agent's output) put it in ``cooldown`` with exponential backoff:
``cooldown_base_s * 2**(failures-1)`` capped at ``cooldown_max_s``. A failed provider
is not checked again before its ``cooldown_until``. Every detail of a problem says what
to do (docs/providers/health.md).

A check never overwrites a newer state: an agent's report (a 429's cooldown) written
while the check was running wins over the check's result.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from convergio_tui.config.schema import Config, HealthConfig
from convergio_tui.engine.health_document import document_of, is_due
from convergio_tui.engine.health_verdict import FIX
from convergio_tui.store.db import immediate, sqlite_connection
from convergio_tui.store.health_sql import health_rows
from convergio_tui.store.models import ProviderHealth, now

if TYPE_CHECKING:
    # Imported where a check runs: the probes (sandbox, HTTP client) are heavy, and
    # `convergio health` within the TTL only reads the rows.
    from convergio_tui.engine.health_probe import CheckResult

# ProviderAdapter error classes that cool a provider down at once (docs/providers.md).
COOLING_ERRORS = ("rate_limit", "auth", "model_not_found")
_refresh_lock = threading.Lock()
_WORKER_SEEN = {
    "rate_limit": "rate limit",
    "auth": "credentials refused",
    "model_not_found": "model not found",
}
_WORKER_TODO = {
    "rate_limit": "none: Convergio waits for the cooldown before using it again",
    "auth": "check the provider's credentials (`convergio health --refresh` says what is wrong)",
    "model_not_found": "check the model id in the configuration",
}


def backoff_s(config: HealthConfig, failures: int) -> float:
    """Cooldown length after ``failures`` consecutive failures (exponential, capped)."""
    if failures <= 0:
        return 0.0
    return float(min(config.cooldown_max_s, config.cooldown_base_s * 2 ** (failures - 1)))


def save_check(check: CheckResult, config: HealthConfig, started_at: float) -> bool:
    """Record ``check``, begun at ``started_at``, unless the row was written since then
    (an agent's report or another check is newer: it stands). Returns whether it wrote."""
    with immediate():
        row = ProviderHealth.get_or_none(ProviderHealth.provider == check.provider)
        if row is not None and row.checked_at >= started_at:
            return False
        failures = (row.consecutive_failures if row else 0) + (check.state != "up")
        if check.state == "up":
            failures, until = 0, None
        else:
            until = now() + backoff_s(config, failures)
        values = {
            "checked_at": now(), "state": check.state, "latency_ms": round(check.latency_ms, 1),
            "detail": check.detail, "version": check.version,
            "consecutive_failures": failures, "cooldown_until": until,
        }  # fmt: skip
        if check.state != "up":
            values["last_error"] = check.detail
        if row is None:
            ProviderHealth.create(provider=check.provider, **values)
        else:
            # The condition again in the write: nothing may slip in between.
            ProviderHealth.update(**values).where(
                ProviderHealth.id == row.id, ProviderHealth.checked_at < started_at
            ).execute()
    return True


def refresh(
    config: Config,
    *,
    force: bool = False,
    providers: Iterable[str] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> list[str]:
    """Check the (enabled) providers whose cached result is stale; returns those checked.

    Checks run in parallel threads. Without ``force`` a provider is checked when its
    result is older than ``health.ttl_s`` or its cooldown has ended; ``force`` checks all.
    ``secrets`` (a project's vault values) reach the probes as they reach a run.
    """
    names = list(providers) if providers is not None else config.enabled_providers()
    with _refresh_lock:
        at = now()
        rows = {
            r.provider: r for r in ProviderHealth.select().where(ProviderHealth.provider.in_(names))
        }
        due = [n for n in names if force or is_due(rows.get(n), config.health.ttl_s, at)]
        if not due:
            return due
        from convergio_tui.engine.health_probe import check_provider

        results: dict[str, CheckResult] = {}

        def work(name: str) -> None:
            results[name] = check_provider(config, name, secrets)

        threads = [threading.Thread(target=work, args=(n,), name=f"health-{n}") for n in due]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name in due:
            save_check(results[name], config.health, at)
    return due


def report_run_error(config: Config, provider: str, error_class: str, detail: str) -> float | None:
    """Cool ``provider`` down at once after a rate-limit/auth/model error in an agent's output.

    Returns the new ``cooldown_until`` (None when the error class does not cool).
    """
    if error_class not in COOLING_ERRORS:
        return None
    with immediate():
        row = ProviderHealth.get_or_none(ProviderHealth.provider == provider)
        failures = (row.consecutive_failures if row else 0) + 1
        until = now() + backoff_s(config.health, failures)
        todo = _WORKER_TODO.get(error_class, "")
        text = f"{error_class}: {_WORKER_SEEN[error_class]} seen in a run: {detail}"[:400]
        text += f"{FIX}{todo}" if todo else ""
        values = {"state": "cooldown", "detail": text, "last_error": text,
                  "consecutive_failures": failures, "cooldown_until": until, "checked_at": now()}  # fmt: skip
        if row is None:
            ProviderHealth.create(provider=provider, **values)
        else:
            ProviderHealth.update(**values).where(ProviderHealth.id == row.id).execute()
    return until


def report_run_success(provider: str) -> None:
    """A run on ``provider`` succeeded: its failure streak is over (cooldowns stand)."""
    ProviderHealth.update(consecutive_failures=0).where(
        ProviderHealth.provider == provider,
        ProviderHealth.state == "up",
        ProviderHealth.consecutive_failures > 0,
    ).execute()


def next_recovery_at(providers: Iterable[str], at: float | None = None) -> float | None:
    """The earliest future ``cooldown_until`` among ``providers`` (when to look again)."""
    at = now() if at is None else at
    times = [
        r.cooldown_until
        for r in ProviderHealth.select().where(ProviderHealth.provider.in_(list(providers)))
        if r.cooldown_until is not None and r.cooldown_until > at
    ]
    return min(times) if times else None


def health_document(config: Config, at: float | None = None) -> dict[str, dict[str, object]]:
    """The JSON of ``convergio health --json`` (docs/cli.md), from the cached rows."""
    return document_of(config, health_rows(sqlite_connection()), now() if at is None else at)
