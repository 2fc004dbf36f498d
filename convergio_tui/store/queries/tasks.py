"""A plan's task rows, and one task's prompt, runs, gate verdicts and answer (the task detail)."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.models import GateResult, Task
from convergio_tui.store.queries.runs import RunLine, task_runs
from convergio_tui.store.task_rows import SeenRows as SeenRows
from convergio_tui.store.task_rows import TaskLine as TaskLine
from convergio_tui.store.task_rows import task_lines as task_lines


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
