"""A plan's task rows, and one task's prompt, runs, gate verdicts and answer (the task detail)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.models import GateResult, Run, Task, Wave
from convergio_tui.store.queries.runs import RunLine, task_runs


# Slots: the dashboard keeps one of these per task of the plan (50,000 and more).
@dataclass(frozen=True, slots=True)
class TaskLine:
    """One task of a plan: a row of the dashboard's task table and of ``plan show``."""

    id: int
    wave_seq: int
    code: str
    title: str
    type: str
    priority: str
    privacy: str
    provider: str | None
    model: str | None
    status: str
    round: int
    reasons: tuple[str, ...]  # why the router chose the provider, in order
    cost_usd: float
    started_at: float | None  # first run's start
    finished_at: float | None  # last run's end, None while a run is live
    running: bool


# A row of task_lines' query: TaskLine's fields from ``id`` to ``reasons`` (still the
# stored JSON text), in order.
_TaskRow = tuple[int, int, str, str, str, str, str, str | None, str | None, str, int, str | None]


@dataclass(frozen=True)
class GateLine:
    """One Thor gate verdict of a round."""

    round: int
    gate: int
    name: str
    verdict: str
    evidence: str


@dataclass(frozen=True)
class TaskDetail:
    """Everything the task detail screen shows."""

    line: TaskLine
    plan_id: int
    prompt: str
    blocked_reason: str | None
    branch: str | None
    worktree: str | None
    validated_by: str | None
    runs: tuple[RunLine, ...]
    gates: tuple[GateLine, ...]
    answer: str | None = None  # the agent's final answer of the task's last run


def task_lines(
    plan_id: int,
    since: float | None = None,
    ids: Iterable[int] | None = None,
    *,
    after: tuple[int, str] | None = None,
    limit: int | None = None,
) -> tuple[TaskLine, ...]:
    """Task rows of ``plan_id`` in wave and code order (the plan order).

    With ``since``, only tasks whose row changed at or after it, whose runs started or
    finished at or after it, or that have a live run (their elapsed time moves). With
    ``ids``, only those tasks. ``after`` (a wave number and a code) and ``limit`` read the
    plan a page at a time: the rows that come after that place, at most ``limit`` of them.
    """
    columns = (Task.id, Wave.seq, Task.code, Task.title, Task.type, Task.priority,
               Task.privacy, Task.provider, Task.model, Task.status, Task.round,
               Task.route_reasons)  # fmt: skip
    query = Task.select(*columns).join(Wave).where(Task.plan == plan_id)
    if since is not None:
        # One index search each (updated_at; a run's status), not a scan of the plan.
        touched = (
            Task.select(Task.id)
            .where(Task.updated_at >= since)
            .union(
                Run.select(Run.task).where(
                    (Run.started_at >= since)
                    | (Run.finished_at >= since)
                    | (Run.status == "running")
                )
            )
        )
        query = query.where(Task.id.in_(touched))
    if ids is not None:
        query = query.where(Task.id.in_(list(ids)))
    if after is not None:
        at_seq, at_code = after
        query = query.where((Wave.seq > at_seq) | ((Wave.seq == at_seq) & (Task.code > at_code)))
    query = query.order_by(Wave.seq, Task.code)
    if limit is not None:
        query = query.limit(limit)
    # Raw rows: peewee's per-value conversion costs more than the query on a big plan.
    sql, params = query.sql()
    rows: list[_TaskRow] = Task._meta.database.execute_sql(sql, params).fetchall()
    partial = since is not None or ids is not None or after is not None or limit is not None
    runs = _run_totals(plan_id, [r[0] for r in rows] if partial else None)
    reasons_of: dict[str | None, tuple[str, ...]] = {None: ()}
    out = []
    for row in rows:
        cost, first, last, live = runs.get(row[0], (0.0, None, None, False))
        reasons = reasons_of.get(row[11])
        if reasons is None:  # most tasks share their routing reasons: decode each once
            reasons = reasons_of[row[11]] = tuple(str(r) for r in json.loads(row[11] or "[]") or ())
        tid, seq, code, title, type_, priority, privacy, provider, model, status, round_, _ = row
        # Type, priority, privacy, provider, model and status take a few values: one
        # string of each (interned) instead of one per task.
        out.append(TaskLine(tid, seq, code, title, _one(type_), _one(priority),
                            _one(privacy), _maybe(provider), _maybe(model), _one(status),
                            round_, reasons, cost, first, None if live else last, live))  # fmt: skip
    return tuple(out)


def _one(value: str) -> str:
    return sys.intern(value)


def _maybe(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)


def _run_totals(
    plan_id: int, task_ids: list[int] | None
) -> dict[int, tuple[float, float | None, float | None, bool]]:
    """Per task: cost, first start, last finish, whether a run is live."""
    live = pw.fn.SUM(pw.Case(None, ((Run.status == "running", 1),), 0))
    query = Run.select(
        Run.task,
        pw.fn.SUM(Run.cost_usd),
        pw.fn.MIN(Run.started_at),
        pw.fn.MAX(Run.finished_at),
        live,
    )
    if task_ids is None:
        query = query.join(Task).where(Task.plan == plan_id)
    elif not task_ids:
        return {}
    else:
        query = query.where(Run.task.in_(task_ids))
    return {
        tid: (float(cost or 0.0), first, last, bool(n))
        for tid, cost, first, last, n in query.group_by(Run.task).tuples()
    }


def task_ids(plan_id: int) -> frozenset[int]:
    """Every task id of the plan (to notice rows that were deleted)."""
    return frozenset(r[0] for r in Task.select(Task.id).where(Task.plan == plan_id).tuples())


def task_detail(task_id: int) -> TaskDetail | None:
    """The task's prompt, routing reasons, runs and gate results (None when gone)."""
    task = Task.get_or_none(Task.id == task_id)
    if task is None:
        return None
    (line,) = task_lines(task.plan_id, ids=[task_id])
    return TaskDetail(
        line=line,
        plan_id=task.plan_id,
        prompt=task.prompt,
        blocked_reason=task.blocked_reason,
        branch=task.branch,
        worktree=task.worktree,
        validated_by=task.validated_by,
        runs=task_runs(task_id),
        gates=task_gates(task_id),
        answer=task.result_text,
    )


def task_gates(task_id: int) -> tuple[GateLine, ...]:
    """The task's gate verdicts by round and gate number."""
    return _gates(GateResult.task == task_id)


def wave_gates(wave_id: int) -> tuple[GateLine, ...]:
    """The wave review's own gate verdicts (not its tasks') by round and gate number."""
    return _gates((GateResult.wave == wave_id) & GateResult.task.is_null())


def _gates(where: pw.Expression) -> tuple[GateLine, ...]:
    query = (
        GateResult.select(
            GateResult.round,
            GateResult.gate,
            GateResult.name,
            GateResult.verdict,
            GateResult.evidence,
        )
        .where(where)
        .order_by(GateResult.round, GateResult.gate, GateResult.id)
    )
    return tuple(GateLine(*row) for row in query.tuples())
