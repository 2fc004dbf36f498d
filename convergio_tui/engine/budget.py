"""The daily premium budget over the single cost ledger (docs/budget.md).

All money is USD. A premium dispatch first *reserves* its worst case (engine/reservation.py)
inside an immediate transaction, so parallel dispatches (threads or processes) cannot
overshoot the cap together; its CLI gets a hard limit that keeps its real cost inside that
reservation where the CLI has one. After the run the reservation is released and the
actual cost charged, both once per run whatever happens (a resumed run never charges
twice); a cost above the reservation is recorded as a ``budget.overrun`` event and raises
that model's next reservations (the learned p95). See docs/budget.md.
"""

from __future__ import annotations

import peewee as pw

from convergio_tui.config.schema import BudgetConfig, Config, ModelConfig
from convergio_tui.engine import reservation
from convergio_tui.engine.budget_status import EPSILON as EPSILON
from convergio_tui.engine.budget_status import BudgetStatus as BudgetStatus
from convergio_tui.engine.budget_status import day_window as day_window
from convergio_tui.engine.budget_status import read_status
from convergio_tui.engine.overrun import record_overrun
from convergio_tui.store.db import immediate, sqlite_connection
from convergio_tui.store.models import Event, Ledger, now
from convergio_tui.store.statements import exists, insert_row


def status(config: BudgetConfig, at: float | None = None) -> BudgetStatus:
    """Today's spend, outstanding reservations and spend by provider."""
    return read_status(sqlite_connection(), config, now() if at is None else at)


def run_envelope(
    config: Config, provider: str, model: str, learned: dict[tuple[str, str], float] | None = None
) -> reservation.Envelope:
    """The worst case of a run of ``model`` on ``provider`` (a model the configuration
    does not list gets ``budget.default_max_run_usd``)."""
    prov = config.providers[provider]
    found = prov.model(model) or ModelConfig(id=model or "unknown")
    return reservation.envelope(provider, prov, found, config.budget, learned)


def reserve_run(config: Config, provider: str, model: str, run_id: int) -> float | None:
    """Reserve a premium run's worst case; its amount, or None (nothing written) when it
    does not fit the headroom left. The whole worst case or nothing (docs/budget.md)."""
    with immediate():
        current = status(config.budget)
        env = run_envelope(config, provider, model, current.learned)
        if config.budget.enforce_budget and not env.fits(current.headroom_usd):
            return None
        Ledger.create(provider=provider, model=model, run=run_id, kind="reserve",
                      usd=env.worst_usd, premium=True, note=f"worst case: {env.why}")  # fmt: skip
    return env.worst_usd


def reserved_for(run_id: int) -> float:
    """What ``run_id`` reserved in all (released or not)."""
    total = Ledger.select(pw.fn.SUM(Ledger.usd)).where(
        Ledger.run == run_id, Ledger.kind == "reserve"
    )
    return float(total.scalar() or 0.0)


def run_limit(
    config: Config, provider: str, model: str, run_id: int, reserved: float | None = None
) -> float | None:
    """The hard limit for ``run_id``'s CLI, in its unit (claude USD, copilot AI credits),
    so its real cost stays inside what it reserved; None without a limit or a reservation.
    ``reserved``: what the run reserved when the caller knows it (else read)."""
    if reserved is None:
        reserved = reserved_for(run_id)
    if reserved <= EPSILON:
        return None
    return run_envelope(config, provider, model).hard_limit(reserved)


def reserve(config: BudgetConfig, provider: str, model: str, run_id: int, usd: float) -> bool:
    """Reserve a fixed ``usd`` for ``run_id``; False (nothing written) when it would pass
    the cap. Dispatches use :func:`reserve_run`, which reserves the run's worst case."""
    with immediate():
        if config.enforce_budget:
            current = status(config)
            if (
                current.spent_usd + current.reserved_usd + usd
                > config.max_premium_per_day + EPSILON
            ):
                return False
        Ledger.create(
            provider=provider, model=model, run=run_id, kind="reserve", usd=usd, premium=True
        )
    return True


def settle(
    provider: str,
    model: str,
    run_id: int,
    *,
    usd: float,
    premium: bool,
    premium_requests: float = 0.0,
    note: str | None = None,
    credits: float = 0.0,
    reserved: float | None = None,
) -> bool:
    """Release the run's reservation and charge its actual cost, once per run; a premium
    cost above the reservation is recorded as a ``budget.overrun`` event with it.
    ``reserved``: 0.0 when the caller knows the run reserved nothing (a free provider's:
    no reservation is read, none released), else None.

    Returns False when the run was already charged (a resumed engine settling again).
    """
    with immediate():
        if exists(Ledger, run=run_id, kind="charge"):
            return False
        if reserved is None or reserved > EPSILON:
            _release_locked(run_id)
        insert_row(
            Ledger, provider=provider, model=model, run=run_id, kind="charge", usd=usd,
            premium=premium, premium_requests=premium_requests, ai_credits=credits, note=note,
        )  # fmt: skip
        if premium and (reserved is None or reserved > EPSILON):
            held = reserved_for(run_id)
            if held > EPSILON and usd > held + EPSILON:
                record_overrun(provider, model, run_id, held, usd)
    return True


def release(run_id: int) -> None:
    """Release whatever is still reserved for ``run_id`` (idempotent)."""
    with immediate():
        _release_locked(run_id)


def _release_locked(run_id: int) -> None:
    rows = Ledger.select(Ledger.kind, Ledger.usd, Ledger.provider, Ledger.model).where(
        Ledger.run == run_id, Ledger.kind.in_(("reserve", "release"))
    )
    left = 0.0
    first = None
    for row in rows:
        left += row.usd if row.kind == "reserve" else -row.usd
        first = first or row
    if first is not None and left > EPSILON:
        Ledger.create(
            provider=first.provider,
            model=first.model,
            run=run_id,
            kind="release",
            usd=left,
            premium=True,
        )


def raise_alerts(config: BudgetConfig, plan_id: int | None = None) -> list[Event]:
    """Record one event per day per crossed threshold (the alert % and the cap).

    Returns the events created now (empty when they were already raised today).
    """
    created: list[Event] = []
    with immediate():
        current = status(config)
        _, start, _ = day_window(config.timezone, now())
        for pct, kind, level in (
            (config.alert_threshold_pct, "budget.alert", "warning"),
            (100.0, "budget.capped", "error"),
        ):
            if current.pct + EPSILON < pct:
                continue
            if Event.select().where(Event.kind == kind, Event.ts >= start).exists():
                continue
            message = (
                f"premium spend ${current.spent_usd:.2f} is {current.pct:.0f}% of the "
                f"${current.cap_usd:.2f} daily cap"
            )
            if kind == "budget.capped" and config.enforce_budget:
                message += "; premium providers leave routing until tomorrow"
            created.append(
                Event.create(
                    level=level,
                    kind=kind,
                    plan=plan_id,
                    message=message,
                    data={"pct": round(current.pct, 2), "threshold": pct},
                )
            )
    return created
