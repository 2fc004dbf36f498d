"""A plan's task rows, and one task's prompt, runs, gate verdicts and answer (the task detail)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import peewee as pw

from convergio_tui.store.models import GateResult, Run, Task, Wave
from convergio_tui.store.queries.runs import RunLine, task_runs


@dataclass(frozen=True)
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
# stored JSON list), in order.
_TaskRow = tuple[int, int, str, str, str, str, str, str | None, str | None, str, int, Any]


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
    plan_id: int, since: float | None = None, ids: Iterable[int] | None = None
) -> tuple[TaskLine, ...]:
    """Task rows of ``plan_id`` in wave and code order.

    With ``since``, only tasks whose row changed at or after it, whose runs started or
    finished at or after it, or that have a live run (their elapsed time moves). With
    ``ids``, only those tasks.
    """
    columns = (Task.id, Wave.seq, Task.code, Task.title, Task.type, Task.priority,
               Task.privacy, Task.provider, Task.model, Task.status, Task.round,
               Task.route_reasons)  # fmt: skip
    query = Task.select(*columns).join(Wave).where(Task.plan == plan_id)
    if since is not None:
        touched = (
            Run.select(Run.task)
            .join(Task)
            .where(
                Task.plan == plan_id,
                (Run.started_at >= since) | (Run.finished_at >= since) | (Run.status == "running"),
            )
        )
        query = query.where((Task.updated_at >= since) | Task.id.in_(touched))
    if ids is not None:
        query = query.where(Task.id.in_(list(ids)))
    rows: list[_TaskRow] = list(query.order_by(Wave.seq, Task.code).tuples())
    partial = since is not None or ids is not None
    runs = _run_totals(plan_id, [r[0] for r in rows] if partial else None)
    out = []
    for row in rows:
        cost, first, last, live = runs.get(row[0], (0.0, None, None, False))
        reasons = tuple(str(r) for r in row[11] or ())
        out.append(TaskLine(*row[:11], reasons, cost, first, None if live else last, live))
    return tuple(out)


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
