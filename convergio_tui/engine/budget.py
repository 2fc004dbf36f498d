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

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import peewee as pw

from convergio_tui.config.schema import BudgetConfig, Config, ModelConfig
from convergio_tui.engine import reservation
from convergio_tui.engine.overrun import learned_p95, record_overrun
from convergio_tui.engine.router import BudgetView
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Event, Ledger, now
from convergio_tui.store.statements import exists, insert_row

EPSILON = 1e-9


def day_window(timezone: str, at: float) -> tuple[date, float, float]:
    """The calendar day containing ``at`` in ``timezone``: (date, start, end) epoch seconds."""
    tz = ZoneInfo(timezone) if timezone != "local" else None
    moment = datetime.fromtimestamp(at, tz) if tz else datetime.fromtimestamp(at).astimezone()
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=1)).replace(tzinfo=start.tzinfo)
    if tz is not None:  # rebuild through the zone so DST days are 23 or 25 hours long
        end = datetime(end.year, end.month, end.day, tzinfo=tz)
    else:
        end = datetime(end.year, end.month, end.day).astimezone()
    return start.date(), start.timestamp(), end.timestamp()


@dataclass(frozen=True)
class BudgetStatus:
    """Today's premium spend against the cap (the shape of ``convergio budget --json``)."""

    date: str
    cap_usd: float
    spent_usd: float
    reserved_usd: float
    alert_threshold_pct: float
    enforce: bool
    by_provider: dict[str, float] = field(default_factory=dict)
    learned: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def pct(self) -> float:
        """Spent share of the cap in percent (reservations excluded)."""
        return 100.0 * self.spent_usd / self.cap_usd if self.cap_usd > 0 else 100.0

    @property
    def alert(self) -> bool:
        """Spend has reached the alert threshold."""
        return self.pct + EPSILON >= self.alert_threshold_pct

    @property
    def capped(self) -> bool:
        """Spend has reached the cap."""
        return self.spent_usd + EPSILON >= self.cap_usd

    def view(self) -> BudgetView:
        """The router's view of this status."""
        return BudgetView(
            self.spent_usd, self.reserved_usd, self.cap_usd, self.enforce, dict(self.learned)
        )

    @property
    def headroom_usd(self) -> float:
        """What is left of the cap after spend and outstanding reservations."""
        return self.cap_usd - self.spent_usd - self.reserved_usd

    def as_dict(self) -> dict[str, object]:
        """The JSON of ``convergio budget --json`` (docs/cli.md)."""
        return {
            "date": self.date,
            "cap_usd": round(self.cap_usd, 6),
            "spent_usd": round(self.spent_usd, 6),
            "reserved_usd": round(self.reserved_usd, 6),
            "headroom_usd": round(max(0.0, self.headroom_usd), 6),
            "pct": round(self.pct, 2),
            "alert": self.alert,
            "capped": self.capped,
            "by_provider": {k: round(v, 6) for k, v in sorted(self.by_provider.items())},
        }


def _outstanding_reserved() -> float:
    signed = pw.Case(Ledger.kind, (("reserve", Ledger.usd),), Ledger.usd * -1)
    per_run = (
        Ledger.select(Ledger.run, pw.fn.SUM(signed).alias("left"))
        .where(Ledger.kind.in_(("reserve", "release")))
        .group_by(Ledger.run)
    )
    return sum(max(0.0, row.left or 0.0) for row in per_run)


def status(config: BudgetConfig, at: float | None = None) -> BudgetStatus:
    """Today's spend, outstanding reservations and spend by provider."""
    day, start, end = day_window(config.timezone, now() if at is None else at)
    rows = (
        Ledger.select(Ledger.provider, pw.fn.SUM(Ledger.usd).alias("usd"))
        .where(Ledger.kind == "charge", Ledger.ts >= start, Ledger.ts < end)
        .group_by(Ledger.provider)
    )
    by_provider = {r.provider: float(r.usd or 0.0) for r in rows}
    spent_rows = Ledger.select(pw.fn.SUM(Ledger.usd)).where(
        Ledger.kind == "charge",
        Ledger.premium == True,  # noqa: E712 (peewee builds SQL from ==)
        Ledger.ts >= start,
        Ledger.ts < end,
    )
    spent = float(spent_rows.scalar() or 0.0)
    return BudgetStatus(
        date=day.isoformat(),
        cap_usd=config.max_premium_per_day,
        spent_usd=spent,
        reserved_usd=_outstanding_reserved(),
        alert_threshold_pct=config.alert_threshold_pct,
        enforce=config.enforce_budget,
        by_provider=by_provider,
        learned=learned_p95(at),
    )


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
