"""Read-only queries shared by the CLI and the dashboard (no writes here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.models import Plan, Run, Task, Wave


@dataclass(frozen=True)
class PlanSummary:
    """One line of ``plan list``."""

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


def task_costs(task_ids: Iterable[int] | None = None) -> dict[int, float]:
    """USD charged per task (sum of its runs' costs)."""
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


def plan_summaries() -> list[PlanSummary]:
    """Every plan, newest first, with progress and spend."""
    counts = {
        row.plan_id: (row.n, row.done)
        for row in Task.select(
            Task.plan,
            pw.fn.COUNT(Task.id).alias("n"),
            pw.fn.SUM(pw.Case(None, ((Task.status == "done", 1),), 0)).alias("done"),
        ).group_by(Task.plan)
    }
    costs = plan_costs()
    out = []
    for plan in Plan.select().order_by(Plan.id.desc()):
        n, done = counts.get(plan.id, (0, 0))
        out.append(
            PlanSummary(
                plan.id,
                plan.name,
                plan.project.name,
                plan.status,
                n,
                int(done or 0),
                costs.get(plan.id, 0.0),
                plan.created_at,
            )
        )
    return out


def find_plan(ref: str | int) -> Plan | None:
    """A plan by id, or the newest plan with that name."""
    text = str(ref)
    if text.isdigit():
        return Plan.get_or_none(Plan.id == int(text))
    return Plan.select().where(Plan.name == text).order_by(Plan.id.desc()).first()


def _waves_in_order(plan: Plan) -> list[Wave]:
    """The plan's waves in order (the dashboard's read model is ``dashboard_queries.plan_waves``)."""
    return list(Wave.select().where(Wave.plan == plan).order_by(Wave.seq))


def plan_tasks(plan: Plan) -> list[Task]:
    """The plan's tasks in wave then code order."""
    return list(Task.select().join(Wave).where(Task.plan == plan).order_by(Wave.seq, Task.code))


def plan_document(plan: Plan) -> dict[str, object]:
    """The JSON of ``plan show --json`` (docs/cli.md)."""
    tasks = plan_tasks(plan)
    costs = task_costs(t.id for t in tasks)
    by_wave: dict[int, list[dict[str, object]]] = {}
    for t in tasks:
        by_wave.setdefault(t.wave_id, []).append(
            {
                "code": t.code,
                "title": t.title,
                "type": t.type,
                "priority": t.priority,
                "privacy": t.privacy,
                "provider": t.provider,
                "executor_agent": t.provider,  # the key's older name, kept for scripts
                "model": t.model,
                "status": t.status,
                "round": t.round,
                "cost_usd": round(costs.get(t.id, 0.0), 6),
                "reasons": list(t.route_reasons or []),
            }
        )
    return {
        "plan": {
            "id": plan.id,
            "name": plan.name,
            "project": plan.project.name,
            "status": plan.status,
            "created_at": plan.created_at,
            "started_at": plan.started_at,
            "finished_at": plan.finished_at,
        },
        "waves": [
            {"seq": w.seq, "name": w.name, "status": w.status, "tasks": by_wave.get(w.id, [])}
            for w in _waves_in_order(plan)
        ],
    }
