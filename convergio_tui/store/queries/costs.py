"""What was spent: USD per task and per plan, premium spend and requests, AI credits,
today's spend per plan, the premium charges the burn rate reads, reservations in flight."""

from __future__ import annotations

from collections.abc import Iterable

import peewee as pw

from convergio_tui.store import ledger_sql
from convergio_tui.store.db import sqlite_connection
from convergio_tui.store.ledger_sql import InFlight as InFlight
from convergio_tui.store.ledger_sql import PlanSpend as PlanSpend
from convergio_tui.store.models import Ledger, Run, Task, Wave


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
    return ledger_sql.credits_by_provider(sqlite_connection(), start, end)


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
    return ledger_sql.premium_charges(sqlite_connection(), start, end)


def spend_by_plan(start: float, end: float) -> tuple[PlanSpend, ...]:
    """USD (and AI credits) charged in ``[start, end)`` per plan, the costliest first."""
    return ledger_sql.spend_by_plan(sqlite_connection(), start, end)


def reservations_in_flight() -> tuple[InFlight, ...]:
    """Every reservation not yet released, largest first (whatever day it was taken)."""
    return ledger_sql.reservations_in_flight(sqlite_connection())
