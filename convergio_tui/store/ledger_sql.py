"""Reads of the cost ledger in plain SQL over one ``sqlite3`` connection (no peewee).

These are the only implementation of these reads: the engine and the dashboard call them
with the open database's own connection (``store.db.sqlite_connection()``, inside any
transaction it holds), and the quick commands (``convergio budget``) with a read-only
connection of their own, so ``budget`` starts without importing peewee.
"""

from __future__ import annotations

import sqlite3

from convergio_tui.frozen import Frozen, frozen

EPSILON = 1e-9  # as engine/budget.py: a reservation released to the last float bit is gone

# A reservation's amount minus what was released of it, per run.
_HELD = (
    "SELECT run_id, SUM(CASE kind WHEN 'reserve' THEN usd ELSE -usd END) FROM ledger"
    " WHERE kind IN ('reserve', 'release') {extra} GROUP BY run_id"
)


def spent_by_provider(con: sqlite3.Connection, start: float, end: float) -> dict[str, float]:
    """USD charged in ``[start, end)`` per provider (premium or not)."""
    rows = con.execute(
        "SELECT provider, SUM(usd) FROM ledger WHERE kind = 'charge' AND ts >= ? AND ts < ?"
        " GROUP BY provider",
        (start, end),
    )
    return {str(provider): float(usd or 0.0) for provider, usd in rows}


def premium_spent(con: sqlite3.Connection, start: float, end: float) -> float:
    """Premium USD charged in ``[start, end)``: what counts against the daily cap."""
    row = con.execute(
        "SELECT SUM(usd) FROM ledger WHERE kind = 'charge' AND premium = 1 AND ts >= ? AND ts < ?",
        (start, end),
    ).fetchone()
    return float(row[0] or 0.0)


def outstanding_reserved(con: sqlite3.Connection) -> float:
    """Every reservation not yet released, summed (whatever day it was taken)."""
    return sum(max(0.0, left or 0.0) for _, left in con.execute(_HELD.format(extra="")))


def recent_premium_costs(
    con: sqlite3.Connection, since: float, per_model: int
) -> dict[tuple[str, str], list[float]]:
    """The last ``per_model`` premium charges since ``since`` of each provider·model."""
    rows = con.execute(
        "SELECT provider, model, usd FROM ("
        " SELECT provider, model, usd, ROW_NUMBER() OVER ("
        "  PARTITION BY provider, model ORDER BY id DESC) AS n"
        " FROM ledger WHERE kind = 'charge' AND premium = 1 AND model IS NOT NULL AND ts >= ?"
        ") WHERE n <= ?",
        (since, per_model),
    )
    costs: dict[tuple[str, str], list[float]] = {}
    for provider, model, usd in rows:
        costs.setdefault((provider, model), []).append(float(usd or 0.0))
    return costs


def premium_charges(
    con: sqlite3.Connection, start: float, end: float
) -> tuple[tuple[float, float], ...]:
    """Premium charges in ``[start, end)`` as (ts, USD), oldest first (the burn rate's input)."""
    rows = con.execute(
        "SELECT ts, usd FROM ledger WHERE kind = 'charge' AND premium = 1 AND ts >= ? AND ts < ?"
        " ORDER BY ts",
        (start, end),
    )
    return tuple((float(ts), float(usd or 0.0)) for ts, usd in rows)


def credits_by_provider(con: sqlite3.Connection, start: float, end: float) -> dict[str, float]:
    """AI credits (credit-billed CLIs: copilot) charged in ``[start, end)`` per provider."""
    rows = con.execute(
        "SELECT provider, SUM(ai_credits) FROM ledger WHERE kind = 'charge' AND ts >= ? AND ts < ?"
        " GROUP BY provider",
        (start, end),
    )
    return {str(p): float(n) for p, n in rows if n}


@frozen
class PlanSpend(Frozen):
    """What one plan's runs were charged in a window (``plan_id`` None: runs of no plan)."""

    plan_id: int | None
    name: str
    usd: float
    ai_credits: float


def spend_by_plan(con: sqlite3.Connection, start: float, end: float) -> tuple[PlanSpend, ...]:
    """USD (and AI credits) charged in ``[start, end)`` per plan, the costliest first: a
    plan's tasks' runs and its waves' own runs (Thor's cross-review)."""
    rows = con.execute(
        "SELECT COALESCE(t.plan_id, w.plan_id) AS of_plan, SUM(l.usd), SUM(l.ai_credits), p.name"
        " FROM ledger l LEFT JOIN run r ON l.run_id = r.id"
        " LEFT JOIN task t ON r.task_id = t.id LEFT JOIN wave w ON r.wave_id = w.id"
        " LEFT JOIN plan p ON p.id = COALESCE(t.plan_id, w.plan_id)"
        " WHERE l.kind = 'charge' AND l.ts >= ? AND l.ts < ? GROUP BY of_plan",
        (start, end),
    )
    spent = [
        PlanSpend(int(pid) if pid is not None else None, str(name or ""), float(usd or 0.0),
                  float(n or 0.0))
        for pid, usd, n, name in rows
    ]  # fmt: skip
    spent = [s for s in spent if s.usd > 0 or s.ai_credits > 0]
    return tuple(sorted(spent, key=lambda s: (-s.usd, s.plan_id or 0)))


@frozen
class InFlight(Frozen):
    """A premium run's reservation still held (its worst case, released when it settles)."""

    run_id: int
    provider: str
    model: str
    usd: float
    task_code: str | None
    plan_id: int | None


def reservations_in_flight(con: sqlite3.Connection) -> tuple[InFlight, ...]:
    """Every reservation not yet released, largest first (whatever day it was taken:
    they all count against today's cap)."""
    held = con.execute(_HELD.format(extra="AND run_id IS NOT NULL"))
    left = {int(run): float(amount or 0.0) for run, amount in held}
    open_runs = [run for run, amount in left.items() if amount > EPSILON]
    if not open_runs:
        return ()
    marks = ",".join("?" * len(open_runs))
    rows = con.execute(
        "SELECT r.id, r.provider, r.model, t.code, COALESCE(t.plan_id, w.plan_id) FROM run r"
        " LEFT JOIN task t ON r.task_id = t.id LEFT JOIN wave w ON r.wave_id = w.id"
        f" WHERE r.id IN ({marks})",
        open_runs,
    )
    found = [
        InFlight(int(run), str(provider), str(model), left[int(run)], code,
                 int(plan) if plan is not None else None)
        for run, provider, model, code, plan in rows
    ]  # fmt: skip
    return tuple(sorted(found, key=lambda r: (-r.usd, r.run_id)))
