"""A task's prompt, routing reasons, runs and gate verdicts (the task detail screen)."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.dashboard_queries.plan import TaskLine, task_lines
from convergio_tui.store.models import GateResult, Ledger, Run, Task


@dataclass(frozen=True)
class RunLine:
    """One dispatch of a task, for the task detail and the approval modal."""

    id: int
    provider: str
    model: str
    round: int
    status: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    exit_code: int | None
    started_at: float
    finished_at: float | None
    log_path: str | None
    fallback_from: str | None
    error_class: str | None
    ai_credits: float = 0.0
    reserved_usd: float = 0.0  # the worst case the ledger granted this run


# A row of task_runs' query: RunLine's fields from ``id`` to ``ai_credits``, in order.
_RunRow = tuple[
    int, str, str, int, str, int, int, float, int | None, float, float | None,
    str | None, str | None, str | None, float,
]  # fmt: skip


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
    reasons: tuple[str, ...]
    blocked_reason: str | None
    branch: str | None
    worktree: str | None
    validated_by: str | None
    runs: tuple[RunLine, ...]
    gates: tuple[GateLine, ...]


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
        reasons=tuple(str(r) for r in task.route_reasons or ()),
        blocked_reason=task.blocked_reason,
        branch=task.branch,
        worktree=task.worktree,
        validated_by=task.validated_by,
        runs=task_runs(task_id),
        gates=task_gates(task_id),
    )


def task_runs(task_id: int) -> tuple[RunLine, ...]:
    """The task's runs, oldest first."""
    query = (
        Run.select(
            Run.id,
            Run.provider,
            Run.model,
            Run.round,
            Run.status,
            Run.input_tokens,
            Run.output_tokens,
            Run.cost_usd,
            Run.exit_code,
            Run.started_at,
            Run.finished_at,
            Run.log_path,
            Run.fallback_from,
            Run.error_class,
            Run.ai_credits,
        )
        .where(Run.task == task_id)
        .order_by(Run.started_at, Run.id)
    )
    rows: list[_RunRow] = list(query.tuples())
    reserved: dict[int, float | None] = dict(
        Ledger.select(Ledger.run, pw.fn.SUM(Ledger.usd))
        .where(Ledger.run.in_([row[0] for row in rows]), Ledger.kind == "reserve")
        .group_by(Ledger.run)
        .tuples()
    )
    return tuple(RunLine(*row, reserved_usd=float(reserved.get(row[0]) or 0.0)) for row in rows)


def task_gates(task_id: int) -> tuple[GateLine, ...]:
    """The task's gate verdicts by round and gate number."""
    query = (
        GateResult.select(
            GateResult.round,
            GateResult.gate,
            GateResult.name,
            GateResult.verdict,
            GateResult.evidence,
        )
        .where(GateResult.task == task_id)
        .order_by(GateResult.round, GateResult.gate, GateResult.id)
    )
    return tuple(GateLine(*row) for row in query.tuples())
