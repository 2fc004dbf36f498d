"""Live runs, provider health and today's spend, read for the live dashboard."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.models import Escalation, Ledger, ProviderHealth, Run, Task


@dataclass(frozen=True)
class RunningRun:
    """A live run whose log the output panes tail."""

    run_id: int
    task_id: int
    code: str
    title: str
    provider: str
    model: str
    round: int
    started_at: float
    log_path: str | None


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


def running_runs(plan_id: int) -> tuple[RunningRun, ...]:
    """The plan's live runs, oldest first."""
    query = (
        Run.select(
            Run.id,
            Run.task,
            Task.code,
            Task.title,
            Run.provider,
            Run.model,
            Run.round,
            Run.started_at,
            Run.log_path,
        )
        .join(Task)
        .where(Task.plan == plan_id, Run.status == "running")
        .order_by(Run.started_at, Run.id)
    )
    return tuple(RunningRun(*row) for row in query.tuples())


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


def spend_series(start: float, end: float, buckets: int) -> tuple[float, ...]:
    """Premium USD charged in ``[start, end)`` split into ``buckets`` equal slices."""
    width = (end - start) / buckets
    out = [0.0] * buckets
    query = Ledger.select(Ledger.ts, Ledger.usd).where(
        Ledger.kind == "charge",
        Ledger.premium == True,  # noqa: E712  (a SQL expression, not a truth test)
        Ledger.ts >= start,
        Ledger.ts < end,
    )
    for ts, usd in query.tuples():
        out[min(buckets - 1, int((ts - start) / width))] += float(usd or 0.0)
    return tuple(out)


def premium_requests_by_provider(start: float, end: float) -> dict[str, float]:
    """Premium requests (zero-tier providers) charged in ``[start, end)`` per provider."""
    query = (
        Ledger.select(Ledger.provider, pw.fn.SUM(Ledger.premium_requests))
        .where(Ledger.kind == "charge", Ledger.ts >= start, Ledger.ts < end)
        .group_by(Ledger.provider)
    )
    return {p: float(n) for p, n in query.tuples() if n}


def count_pending_escalations() -> int:
    """Pending escalations over every plan."""
    return int(Escalation.select().where(Escalation.status == "pending").count())
