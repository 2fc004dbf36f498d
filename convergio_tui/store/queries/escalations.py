"""The escalation read model: tasks Thor rejected ``max_rounds`` times, and waves whose
merged branch fails with no task left to send back, as a person sees them.

One view, :class:`EscalationView`, for ``convergio escalations`` (its JSON is the
``ESCALATION`` of docs/cli.md) and for the dashboard's inbox; :class:`EscalationDetail`
adds what the approval modal shows beside it (every gate verdict and run). What Thor
recorded when it escalated (the rejected rounds, the diff stat, the spend up to then)
comes from the escalation's ``summary``. Decisions are written by ``thor/escalations.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import peewee as pw

from convergio_tui.store.models import Escalation, Event, Plan, Task, Wave
from convergio_tui.store.queries.runs import RunLine, task_runs, wave_runs
from convergio_tui.store.queries.tasks import GateLine, task_gates, wave_gates
from convergio_tui.store.states import EscalationStatus


@dataclass(frozen=True)
class EscalationView:
    """What a person needs to decide: every round's evidence, the diff, the spend."""

    id: int
    task_id: int | None  # None for a wave's escalation
    task_code: str  # a wave's escalation: ``wave-N``
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
    kind: str = "task"  # or "wave": the whole wave (thor/wave_escalations.py)
    wave_id: int = 0
    # An approved task whose branch no longer merges (engine/approved.py): wave_branch,
    # paths, worktree, ways_forward.
    conflict: dict[str, Any] | None = None

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
    summary: dict[str, Any] = esc.summary if isinstance(esc.summary, dict) else {}
    if esc.task_id is None:
        return _wave_view(esc, summary)
    task: Task = esc.task
    return EscalationView(
        id=int(esc.id), task_id=int(task.id), task_code=str(task.code),
        task_title=str(task.title), plan_id=int(task.plan_id), plan_name=str(task.plan.name),
        wave_seq=int(task.wave.seq), status=str(esc.status), reason=str(esc.reason),
        created_at=float(esc.created_at), round=int(task.round), provider=task.provider,
        model=task.model, spend_usd=float(summary.get("spend_usd", 0.0)),
        diff_stat=diff_stat_text(summary), rounds=list(summary.get("rounds", [])),
        decided_by=esc.decided_by, decided_at=esc.decided_at, note=esc.note,
        wave_id=int(task.wave_id), conflict=conflict_of(summary),
    )  # fmt: skip


def _wave_view(esc: Escalation, summary: dict[str, Any]) -> EscalationView:
    wave: Wave = esc.wave
    rounds = list(summary.get("rounds", []))
    return EscalationView(
        id=int(esc.id), task_id=None, task_code=f"wave-{wave.seq}", task_title=str(wave.name),
        plan_id=int(wave.plan_id), plan_name=str(wave.plan.name), wave_seq=int(wave.seq),
        status=str(esc.status), reason=str(esc.reason), created_at=float(esc.created_at),
        round=int(rounds[-1].get("round", 1)) if rounds else 1, provider=None, model=None,
        spend_usd=float(summary.get("spend_usd", 0.0)), diff_stat=diff_stat_text(summary),
        rounds=rounds, decided_by=esc.decided_by, decided_at=esc.decided_at, note=esc.note,
        kind="wave", wave_id=int(wave.id),
    )  # fmt: skip


def _of_plan(plan_id: int) -> pw.Expression:
    """Escalations of ``plan_id``'s tasks or waves."""
    return Escalation.task.in_(Task.select(Task.id).where(Task.plan == plan_id)) | (
        Escalation.wave.in_(Wave.select(Wave.id).where(Wave.plan == plan_id))
    )


def conflict_of(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The conflict recorded with an approved task that no longer merges, or None."""
    value = summary.get("conflict")
    return dict(value) if isinstance(value, dict) else None


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
    # A wave's escalation has no task: outer joins keep it (its wave is read through it).
    query = (
        Escalation.select(Escalation, Task, Plan, Wave)
        .join(Task, pw.JOIN.LEFT_OUTER)
        .join(Plan, pw.JOIN.LEFT_OUTER)
        .switch(Task)
        .join(Wave, pw.JOIN.LEFT_OUTER)
        .order_by(Escalation.id)
    )
    if status is not None:
        query = query.where(Escalation.status == status)
    if plan_id is not None:
        query = query.where(_of_plan(plan_id))
    return [view_of(e) for e in query]


def pending(plan_id: int | None = None) -> list[EscalationView]:
    """Escalations waiting for a decision, oldest first (optionally of one plan)."""
    return list_escalations(EscalationStatus.PENDING, plan_id)


def count_pending_escalations(plan_id: int | None = None) -> int:
    """Pending escalations over every plan (or of one plan)."""
    query = Escalation.select().where(Escalation.status == EscalationStatus.PENDING)
    if plan_id is not None:
        query = query.where(_of_plan(plan_id))
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
    if view.task_id is None:
        return EscalationDetail(view, wave_gates(view.wave_id), wave_runs(view.wave_id))
    return EscalationDetail(view, task_gates(view.task_id), task_runs(view.task_id))


def round_history(task_id: int) -> list[dict[str, Any]]:
    """Every rejected round of the task, oldest first, with its gates' evidence."""
    events = Event.select().where((Event.task == task_id) & (Event.kind == "rejected"))
    return [dict(e.data) for e in events.order_by(Event.id) if isinstance(e.data, dict)]
