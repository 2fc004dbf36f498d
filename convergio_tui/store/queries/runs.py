"""Runs (one dispatch of a task to a provider): the live ones and a task's history."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.models import Ledger, Run, Task


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
    node: str | None = None  # the Ray node it ran on (execution.backend: ray); None: here


# A row of task_runs' query: RunLine's fields from ``id`` to ``ai_credits``, in order,
# then the node.
_RunRow = tuple[
    int, str, str, int, str, int, int, float, int | None, float, float | None,
    str | None, str | None, str | None, float, str | None,
]  # fmt: skip


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


def task_runs(task_id: int) -> tuple[RunLine, ...]:
    """The task's runs, oldest first."""
    return _runs(Run.task == task_id)


def wave_runs(wave_id: int) -> tuple[RunLine, ...]:
    """The wave's own runs (Thor's cross-reviews), oldest first."""
    return _runs((Run.wave == wave_id) & Run.task.is_null())


def _runs(where: pw.Expression) -> tuple[RunLine, ...]:
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
            Run.node,
        )
        .where(where)
        .order_by(Run.started_at, Run.id)
    )
    rows: list[_RunRow] = list(query.tuples())
    reserved: dict[int, float | None] = dict(
        Ledger.select(Ledger.run, pw.fn.SUM(Ledger.usd))
        .where(Ledger.run.in_([row[0] for row in rows]), Ledger.kind == "reserve")
        .group_by(Ledger.run)
        .tuples()
    )
    return tuple(
        RunLine(*row[:15], reserved_usd=float(reserved.get(row[0]) or 0.0), node=row[15])
        for row in rows
    )
