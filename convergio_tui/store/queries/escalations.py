"""The escalation read model: tasks Thor rejected ``max_rounds`` times, as a person sees them.

One view, :class:`EscalationView`, for ``convergio escalations`` (its JSON is the
``ESCALATION`` of docs/cli.md) and for the dashboard's inbox; :class:`EscalationDetail`
adds what the approval modal shows beside it (every gate verdict and run). What Thor
recorded when it escalated (the rejected rounds, the diff stat, the spend up to then)
comes from the escalation's ``summary``. Decisions are written by ``thor/escalations.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from convergio_tui.store.models import Escalation, Event, Plan, Task, Wave
from convergio_tui.store.queries.runs import RunLine, task_runs
from convergio_tui.store.queries.tasks import GateLine, task_gates
from convergio_tui.store.states import EscalationStatus


@dataclass(frozen=True)
class EscalationView:
    """What a person needs to decide: every round's evidence, the diff, the spend."""

    id: int
    task_id: int
    task_code: str
    task_title: str
    plan_id: int
    plan_name: str
    wave_seq: int
    status: str
    reason: str
    created_at: float
    round: int
    provider: str | None
    model: str | None
    spend_usd: float  # USD charged for the task's runs up to the escalation
    diff_stat: str
    rounds: list[dict[str, Any]] = field(default_factory=list)
    decided_by: str | None = None
    decided_at: float | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form used by ``convergio escalations list --json``."""
        return asdict(self)


@dataclass(frozen=True)
class EscalationDetail:
    """The approval modal's escalation: the view, every gate verdict of every round, the runs."""

    escalation: EscalationView
    gates: tuple[GateLine, ...]
    runs: tuple[RunLine, ...]


def view_of(esc: Escalation) -> EscalationView:
    """The view of one escalation row (its task, plan and wave read through the row)."""
    task: Task = esc.task
    summary: dict[str, Any] = esc.summary if isinstance(esc.summary, dict) else {}
    return EscalationView(
        id=int(esc.id), task_id=int(task.id), task_code=str(task.code),
        task_title=str(task.title), plan_id=int(task.plan_id), plan_name=str(task.plan.name),
        wave_seq=int(task.wave.seq), status=str(esc.status), reason=str(esc.reason),
        created_at=float(esc.created_at), round=int(task.round), provider=task.provider,
        model=task.model, spend_usd=float(summary.get("spend_usd", 0.0)),
        diff_stat=diff_stat_text(summary), rounds=list(summary.get("rounds", [])),
        decided_by=esc.decided_by, decided_at=esc.decided_at, note=esc.note,
    )  # fmt: skip


def diff_stat_text(summary: dict[str, Any]) -> str:
    """The diff stat Thor recorded in an escalation's summary (a string, or its lines)."""
    value = summary.get("diff_stat", summary.get("diffstat"))
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value) if value else ""


def list_escalations(status: str | None = None, plan_id: int | None = None) -> list[EscalationView]:
    """Escalations over every plan, oldest first, filtered by status and plan when given."""
    # The task, its plan and its wave come in the same query: the inbox re-reads this
    # every few seconds while it is open.
    query = (
        Escalation.select(Escalation, Task, Plan, Wave)
        .join(Task)
        .join(Plan)
        .switch(Task)
        .join(Wave)
        .order_by(Escalation.id)
    )
    if status is not None:
        query = query.where(Escalation.status == status)
    if plan_id is not None:
        query = query.where(Task.plan == plan_id)
    return [view_of(e) for e in query]


def pending(plan_id: int | None = None) -> list[EscalationView]:
    """Escalations waiting for a decision, oldest first (optionally of one plan)."""
    return list_escalations(EscalationStatus.PENDING, plan_id)


def count_pending_escalations(plan_id: int | None = None) -> int:
    """Pending escalations over every plan (or of one plan)."""
    query = Escalation.select().join(Task).where(Escalation.status == EscalationStatus.PENDING)
    if plan_id is not None:
        query = query.where(Task.plan == plan_id)
    return int(query.count())


def escalation(escalation_id: int) -> EscalationView | None:
    """One escalation by id (None when there is none)."""
    esc = Escalation.get_or_none(Escalation.id == escalation_id)
    return None if esc is None else view_of(esc)


def escalation_detail(escalation_id: int) -> EscalationDetail | None:
    """One escalation with every round's gate verdicts and the task's runs."""
    view = escalation(escalation_id)
    if view is None:
        return None
    return EscalationDetail(view, task_gates(view.task_id), task_runs(view.task_id))


def round_history(task_id: int) -> list[dict[str, Any]]:
    """Every rejected round of the task, oldest first, with its gates' evidence."""
    events = Event.select().where((Event.task == task_id) & (Event.kind == "rejected"))
    return [dict(e.data) for e in events.order_by(Event.id) if isinstance(e.data, dict)]
