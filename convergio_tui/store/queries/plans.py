"""Plans: the list of every plan, one plan's header and waves, and ``plan show``'s document."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from convergio_tui.store import plan_sql
from convergio_tui.store.db import sqlite_connection
from convergio_tui.store.models import Plan, Project, Task, Wave
from convergio_tui.store.queries.costs import plan_costs
from convergio_tui.store.queries.escalations import count_pending_escalations


@dataclass(frozen=True)
class PlanSummary:
    """One plan with progress and spend: a line of ``plan list`` and of the plan picker."""

    id: int
    name: str
    project: str
    status: str
    tasks: int
    done: int
    cost_usd: float
    created_at: float

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "id": self.id,
            "name": self.name,
            "project": self.project,
            "status": self.status,
            "tasks": self.tasks,
            "done": self.done,
            "cost_usd": round(self.cost_usd, 6),
            "created_at": self.created_at,
        }


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


def plan_summaries() -> tuple[PlanSummary, ...]:
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
        Plan.select(Plan.id, Plan.name, Project.name, Plan.status, Plan.created_at)
        .join(Project)
        .order_by(Plan.id.desc())
    )
    return tuple(
        PlanSummary(
            pid, name, project, status, *counts.get(pid, (0, 0)), costs.get(pid, 0.0), created_at
        )
        for pid, name, project, status, created_at in query.tuples()
    )


def find_plan(ref: str | int) -> Plan | None:
    """A plan by id, or the newest plan with that name."""
    text = str(ref)
    if text.isdigit():
        return Plan.get_or_none(Plan.id == int(text))
    return Plan.select().where(Plan.name == text).order_by(Plan.id.desc()).first()


def default_plan_id() -> int | None:
    """The plan to show when none is named: the newest one running, else the newest."""
    doing = Plan.select(Plan.id).where(Plan.status == "doing").order_by(Plan.id.desc()).first()
    if doing is not None:
        return int(doing.id)
    newest = Plan.select(Plan.id).order_by(Plan.id.desc()).first()
    return None if newest is None else int(newest.id)


def plan_head(plan_id: int, waves: tuple[WaveLine, ...] | None = None) -> PlanHead | None:
    """The header of ``plan_id`` (None when the plan does not exist); its task counts are
    the sums of its waves' (``waves``, when the caller read ``plan_waves`` already)."""
    row = (
        Plan.select(Plan, Project.name.alias("project_name"))
        .join(Project)
        .where(Plan.id == plan_id)
        .dicts()
        .first()
    )
    if row is None:
        return None
    if waves is None:
        waves = plan_waves(plan_id)
    cost = plan_costs(plan_id).get(plan_id, 0.0)
    return PlanHead(
        id=plan_id,
        name=row["name"],
        project=row["project_name"],
        status=row["status"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        tasks=sum(w.total for w in waves),
        done=sum(w.done for w in waves),
        running=sum(w.running for w in waves),
        failed=sum(w.failed for w in waves),
        cost_usd=float(cost or 0.0),
        pending_escalations=count_pending_escalations(plan_id),
        runner_pid=row["runner_pid"],
    )


@dataclass(frozen=True)
class PlanRunner:
    """Who may run a plan now: its status, the process recorded as running it, its project."""

    name: str
    status: str
    runner_pid: int | None
    runner_started_at: float | None
    project: str


def plan_runner(plan_id: int) -> PlanRunner | None:
    """The plan's status, runner and project name (None when there is no such plan)."""
    plan = Plan.get_or_none(Plan.id == plan_id)
    if plan is None:
        return None
    return PlanRunner(str(plan.name), str(plan.status), plan.runner_pid,
                      plan.runner_started_at, str(plan.project.name))  # fmt: skip


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


def plan_document(plan: Plan) -> dict[str, object]:
    """The JSON of ``plan show --json`` (docs/cli.md): the plan, its waves, their tasks."""
    return plan_sql.plan_document(sqlite_connection(), int(plan.id))
