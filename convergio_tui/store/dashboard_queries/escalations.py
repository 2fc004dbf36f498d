"""The escalation inbox and what a person needs to decide one."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.dashboard_queries.detail import GateLine, RunLine, task_gates, task_runs
from convergio_tui.store.models import Escalation, Plan, Run, Task


@dataclass(frozen=True)
class EscalationLine:
    """One escalation of the inbox."""

    id: int
    task_id: int
    plan_id: int
    plan_name: str
    code: str
    title: str
    round: int
    status: str
    reason: str
    created_at: float
    spend_usd: float


# A row of escalations' query: EscalationLine's fields, the spend still a nullable sum.
_EscalationRow = tuple[int, int, int, str, str, str, int, str, str, float, float | None]


@dataclass(frozen=True)
class EscalationDetail:
    """What a person needs to decide an escalation: every round's evidence, diff, spend."""

    line: EscalationLine
    provider: str | None
    model: str | None
    gates: tuple[GateLine, ...]
    runs: tuple[RunLine, ...]
    diff_stat: str


def escalations(status: str = "pending") -> tuple[EscalationLine, ...]:
    """Escalations in ``status`` over every plan, oldest first."""
    spend = (
        Run.select(Run.task, pw.fn.SUM(Run.cost_usd).alias("usd")).group_by(Run.task).alias("spend")
    )
    query = (
        Escalation.select(
            Escalation.id,
            Task.id,
            Plan.id,
            Plan.name,
            Task.code,
            Task.title,
            Task.round,
            Escalation.status,
            Escalation.reason,
            Escalation.created_at,
            spend.c.usd,
        )
        .join(Task)
        .join(Plan)
        .join(spend, pw.JOIN.LEFT_OUTER, on=(spend.c.task_id == Task.id))
        .where(Escalation.status == status)
        .order_by(Escalation.created_at, Escalation.id)
    )
    rows: list[_EscalationRow] = list(query.tuples())
    return tuple(EscalationLine(*row[:10], float(row[10] or 0.0)) for row in rows)


def escalation_detail(escalation_id: int) -> EscalationDetail | None:
    """One escalation with every round's gate evidence, the runs and the diff stat."""
    esc = Escalation.get_or_none(Escalation.id == escalation_id)
    if esc is None:
        return None
    task = esc.task
    runs = task_runs(task.id)
    line = EscalationLine(
        esc.id,
        task.id,
        task.plan_id,
        task.plan.name,
        task.code,
        task.title,
        task.round,
        esc.status,
        esc.reason,
        esc.created_at,
        sum(r.cost_usd for r in runs),
    )
    summary = esc.summary if isinstance(esc.summary, dict) else {}
    return EscalationDetail(
        line, task.provider, task.model, task_gates(task.id), runs, _diff_stat_text(summary)
    )


def _diff_stat_text(summary: dict[str, object]) -> str:
    # Thor records the diff stat in the escalation summary; accept a string or lines.
    value = summary.get("diff_stat", summary.get("diffstat"))
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value) if value else ""
