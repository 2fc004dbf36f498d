"""The plan, its waves and its task rows, read for the live dashboard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.models import Escalation, Plan, Project, Run, Task, Wave
from convergio_tui.store.queries import plan_costs


@dataclass(frozen=True)
class PlanHead:
    """The plan header: identity, status, progress, spend, escalations, runner."""

    id: int
    name: str
    project: str
    status: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    tasks: int
    done: int
    running: int
    failed: int
    cost_usd: float
    pending_escalations: int
    runner_pid: int | None


@dataclass(frozen=True)
class WaveLine:
    """One wave with its task counts."""

    id: int
    seq: int
    name: str
    status: str
    total: int
    done: int
    running: int
    failed: int


@dataclass(frozen=True)
class TaskLine:
    """One row of the task table."""

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
    cost_usd: float
    started_at: float | None  # first run's start
    finished_at: float | None  # last run's end, None while a run is live
    running: bool


# A row of task_lines' query: TaskLine's fields from ``id`` to ``round``, in order.
_TaskRow = tuple[int, int, str, str, str, str, str, str | None, str | None, str, int]


def default_plan_id() -> int | None:
    """The plan to show when none is named: the newest one running, else the newest."""
    doing = Plan.select(Plan.id).where(Plan.status == "doing").order_by(Plan.id.desc()).first()
    if doing is not None:
        return int(doing.id)
    newest = Plan.select(Plan.id).order_by(Plan.id.desc()).first()
    return None if newest is None else int(newest.id)


def plan_head(plan_id: int) -> PlanHead | None:
    """The header of ``plan_id`` (None when the plan does not exist)."""
    row = (
        Plan.select(Plan, Project.name.alias("project_name"))
        .join(Project)
        .where(Plan.id == plan_id)
        .dicts()
        .first()
    )
    if row is None:
        return None
    counts: dict[str, int] = {}
    for status, n in (
        Task.select(Task.status, pw.fn.COUNT(Task.id))
        .where(Task.plan == plan_id)
        .group_by(Task.status)
        .tuples()
    ):
        counts[status] = n
    cost = plan_costs(plan_id).get(plan_id, 0.0)
    pending = (
        Escalation.select()
        .join(Task)
        .where(Task.plan == plan_id, Escalation.status == "pending")
        .count()
    )
    return PlanHead(
        id=plan_id,
        name=row["name"],
        project=row["project_name"],
        status=row["status"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        tasks=sum(counts.values()),
        done=counts.get("done", 0),
        running=counts.get("running", 0),
        failed=counts.get("failed", 0),
        cost_usd=float(cost or 0.0),
        pending_escalations=pending,
        runner_pid=row["runner_pid"],
    )


def plan_waves(plan_id: int) -> tuple[WaveLine, ...]:
    """The plan's waves in order, with task counts by state."""
    counts: dict[int, dict[str, int]] = {}
    query = Task.select(Task.wave, Task.status, pw.fn.COUNT(Task.id)).where(Task.plan == plan_id)
    for wave_id, status, n in query.group_by(Task.wave, Task.status).tuples():
        counts.setdefault(wave_id, {})[status] = n
    out = []
    for wid, seq, name, status in (
        Wave.select(Wave.id, Wave.seq, Wave.name, Wave.status)
        .where(Wave.plan == plan_id)
        .order_by(Wave.seq)
        .tuples()
    ):
        c = counts.get(wid, {})
        total = sum(c.values())
        done, running, failed = c.get("done", 0), c.get("running", 0), c.get("failed", 0)
        out.append(WaveLine(wid, seq, name, status, total, done, running, failed))
    return tuple(out)


def task_lines(
    plan_id: int, since: float | None = None, ids: Iterable[int] | None = None
) -> tuple[TaskLine, ...]:
    """Task rows of ``plan_id`` in wave and code order.

    With ``since``, only tasks whose row changed at or after it, whose runs started or
    finished at or after it, or that have a live run (their elapsed time moves). With
    ``ids``, only those tasks.
    """
    columns = (Task.id, Wave.seq, Task.code, Task.title, Task.type, Task.priority,
               Task.privacy, Task.provider, Task.model, Task.status, Task.round)  # fmt: skip
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
        out.append(TaskLine(*row, cost, first, None if live else last, live))
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


@dataclass(frozen=True)
class PlanChoice:
    """One plan in the plan picker."""

    id: int
    name: str
    project: str
    status: str
    tasks: int
    done: int
    cost_usd: float


def plan_choices() -> tuple[PlanChoice, ...]:
    """Every plan, newest first, with progress and spend."""
    done = pw.fn.SUM(pw.Case(None, ((Task.status == "done", 1),), 0))
    counts = {
        plan_id: (n, int(d or 0))
        for plan_id, n, d in Task.select(Task.plan, pw.fn.COUNT(Task.id), done)
        .group_by(Task.plan)
        .tuples()
    }
    costs = plan_costs()
    query = (
        Plan.select(Plan.id, Plan.name, Project.name, Plan.status)
        .join(Project)
        .order_by(Plan.id.desc())
    )
    return tuple(
        PlanChoice(pid, name, project, status, *counts.get(pid, (0, 0)), costs.get(pid, 0.0))
        for pid, name, project, status in query.tuples()
    )
