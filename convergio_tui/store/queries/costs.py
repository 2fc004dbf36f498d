"""What was spent: USD per task and per plan, premium spend and requests, AI credits,
today's spend per plan, the premium charges the burn rate reads, reservations in flight."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.models import Ledger, Plan, Run, Task, Wave

EPSILON = 1e-9  # as engine/budget.py: a reservation released to the last float bit is gone


def task_costs(task_ids: Iterable[int] | None = None) -> dict[int, float]:
    """USD charged per task (the sum of its runs' costs); only tasks with runs."""
    query = Run.select(Run.task, pw.fn.SUM(Run.cost_usd).alias("usd")).group_by(Run.task)
    if task_ids is not None:
        query = query.where(Run.task.in_(list(task_ids)))
    return {row.task_id: float(row.usd or 0.0) for row in query}


def plan_costs(plan_id: int | None = None) -> dict[int, float]:
    """USD charged per plan: its tasks' runs and its waves' own runs (Thor's cross-review)."""
    plan = pw.fn.COALESCE(Task.plan, Wave.plan)
    query = (
        Run.select(plan, pw.fn.SUM(Run.cost_usd))
        .join(Task, pw.JOIN.LEFT_OUTER, on=(Run.task == Task.id))
        .join(Wave, pw.JOIN.LEFT_OUTER, on=(Run.wave == Wave.id))
        .group_by(plan)
    )
    if plan_id is not None:
        query = query.where(plan == plan_id)
    return {int(pid): float(usd or 0.0) for pid, usd in query.tuples() if pid is not None}


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


def credits_by_provider(start: float, end: float) -> dict[str, float]:
    """AI credits (credit-billed CLIs: copilot) charged in ``[start, end)`` per provider."""
    query = (
        Ledger.select(Ledger.provider, pw.fn.SUM(Ledger.ai_credits))
        .where(Ledger.kind == "charge", Ledger.ts >= start, Ledger.ts < end)
        .group_by(Ledger.provider)
    )
    return {p: float(n) for p, n in query.tuples() if n}


def credits_by_task(plan_id: int) -> dict[int, float]:
    """AI credits each task of ``plan_id`` spent over all its runs (tasks with some only)."""
    query = (
        Run.select(Run.task, pw.fn.SUM(Run.ai_credits))
        .join(Task)
        .where(Task.plan == plan_id)
        .group_by(Run.task)
    )
    return {int(task): float(n) for task, n in query.tuples() if n}


def premium_charges(start: float, end: float) -> tuple[tuple[float, float], ...]:
    """Premium charges in ``[start, end)`` as (ts, USD), oldest first (the burn rate's input)."""
    query = (
        Ledger.select(Ledger.ts, Ledger.usd)
        .where(
            Ledger.kind == "charge",
            Ledger.premium == True,  # noqa: E712  (a SQL expression, not a truth test)
            Ledger.ts >= start,
            Ledger.ts < end,
        )
        .order_by(Ledger.ts)
    )
    return tuple((float(ts), float(usd or 0.0)) for ts, usd in query.tuples())


@dataclass(frozen=True)
class PlanSpend:
    """What one plan's runs were charged in a window (``plan_id`` None: runs of no plan)."""

    plan_id: int | None
    name: str
    usd: float
    ai_credits: float


def spend_by_plan(start: float, end: float) -> tuple[PlanSpend, ...]:
    """USD (and AI credits) charged in ``[start, end)`` per plan, the costliest first: a
    plan's tasks' runs and its waves' own runs (Thor's cross-review)."""
    plan = pw.fn.COALESCE(Task.plan, Wave.plan)
    query = (
        Ledger.select(plan, pw.fn.SUM(Ledger.usd), pw.fn.SUM(Ledger.ai_credits))
        .join(Run, pw.JOIN.LEFT_OUTER, on=(Ledger.run == Run.id))
        .join(Task, pw.JOIN.LEFT_OUTER, on=(Run.task == Task.id))
        .join(Wave, pw.JOIN.LEFT_OUTER, on=(Run.wave == Wave.id))
        .where(Ledger.kind == "charge", Ledger.ts >= start, Ledger.ts < end)
        .group_by(plan)
    )
    rows = [(pid, float(amount or 0.0), float(n or 0.0)) for pid, amount, n in query.tuples()]
    names = {p.id: p.name for p in Plan.select(Plan.id, Plan.name).where(
        Plan.id.in_([pid for pid, _, _ in rows if pid is not None]))}  # fmt: skip
    spent = [
        PlanSpend(int(pid) if pid is not None else None, str(names.get(pid, "")), amount, n)
        for pid, amount, n in rows
        if amount > 0 or n > 0
    ]
    return tuple(sorted(spent, key=lambda s: (-s.usd, s.plan_id or 0)))


@dataclass(frozen=True)
class InFlight:
    """A premium run's reservation still held (its worst case, released when it settles)."""

    run_id: int
    provider: str
    model: str
    usd: float
    task_code: str | None
    plan_id: int | None


def reservations_in_flight() -> tuple[InFlight, ...]:
    """Every reservation not yet released, largest first (whatever day it was taken:
    they all count against today's cap)."""
    signed = pw.Case(Ledger.kind, (("reserve", Ledger.usd),), Ledger.usd * -1)
    held = (
        Ledger.select(Ledger.run, pw.fn.SUM(signed).alias("left"))
        .where(Ledger.kind.in_(("reserve", "release")), Ledger.run.is_null(False))
        .group_by(Ledger.run)
    )
    left = {int(run): float(amount or 0.0) for run, amount in held.tuples()}
    open_runs = [run for run, amount in left.items() if amount > EPSILON]
    if not open_runs:
        return ()
    query = (
        Run.select(Run.id, Run.provider, Run.model, Task.code, pw.fn.COALESCE(Task.plan, Wave.plan))
        .join(Task, pw.JOIN.LEFT_OUTER, on=(Run.task == Task.id))
        .join(Wave, pw.JOIN.LEFT_OUTER, on=(Run.wave == Wave.id))
        .where(Run.id.in_(open_runs))
    )
    found = [
        InFlight(
            int(run),
            str(provider),
            str(model),
            left[int(run)],
            code,
            int(plan) if plan is not None else None,
        )
        for run, provider, model, code, plan in query.tuples()
    ]
    return tuple(sorted(found, key=lambda r: (-r.usd, r.run_id)))
