"""What a finished ``Executor.run`` reports: the plan's state, what waits for a person,
and where the result is (:mod:`engine.handoff`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from convergio_tui.engine import handoff_read
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.handoff import Handoff
from convergio_tui.store.models import Escalation, Task
from convergio_tui.store.queries import plan_costs
from convergio_tui.store.states import (
    TASK_NEEDS_PERSON,
    EscalationStatus,
    SummaryStatus,
    TaskStatus,
)


@dataclass(frozen=True)
class WaitingTask:
    """A task that cannot move by itself, and why."""

    code: str
    status: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"code": self.code, "status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class RunSummary:
    """The end of one execution: ``status`` is a :class:`SummaryStatus`, the plan's
    (done, failed, cancelled, doing, paused...) or ``stopped`` when :meth:`Executor.stop`
    ended it, ``waiting`` when only cooling providers were left."""

    plan_id: int
    status: str
    total: int
    done: int
    cost_usd: float
    waiting: tuple[WaitingTask, ...] = field(default_factory=tuple)
    message: str = ""
    handoff: Handoff | None = None  # the final wave branch and how to merge it

    @property
    def exit_code(self) -> int:
        """docs/cli.md: 0 when the plan is done, else 1 (something needs a person)."""
        return 0 if self.status == SummaryStatus.DONE else 1

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "plan_id": self.plan_id, "status": self.status, "total": self.total,
            "done": self.done, "cost_usd": round(self.cost_usd, 6), "message": self.message,
            "waiting": [w.as_dict() for w in self.waiting],
            "handoff": self.handoff.as_dict() if self.handoff is not None else None,
        }  # fmt: skip


def _reason(task: Task, escalations: dict[int, Escalation], by_code: dict[str, Task]) -> str:
    if task.status == TaskStatus.ESCALATED:
        esc = escalations.get(task.id)
        return f"pending escalation #{esc.id}: {esc.reason}" if esc else "escalated"
    if task.status == TaskStatus.BLOCKED:
        return task.blocked_reason or "blocked"
    if task.status == TaskStatus.FAILED:
        return "failed (rejected by a person)"
    unmet = [
        d for d in task.depends_on or [] if by_code.get(d) and by_code[d].status != TaskStatus.DONE
    ]
    if unmet:
        return "waits for " + ", ".join(f"{d} ({by_code[d].status})" for d in unmet)
    return task.status


def summarize(plan_id: int, status: str, message: str = "") -> RunSummary:
    """Count the plan's tasks and list those that wait for a person."""
    tasks = list(Task.select().where(Task.plan == plan_id).order_by(Task.code))
    by_code = {t.code: t for t in tasks}
    escalations = {
        e.task_id: e
        for e in Escalation.select().where(
            Escalation.status == EscalationStatus.PENDING,
            Escalation.task.in_([t.id for t in tasks]),
        )
    }
    waiting = tuple(
        WaitingTask(t.code, t.status, _reason(t, escalations, by_code))
        for t in tasks
        if t.status in TASK_NEEDS_PERSON
        or (
            t.status == TaskStatus.QUEUED
            and _reason(t, escalations, by_code).startswith("waits for")
        )
    )
    cost = plan_costs(plan_id).get(plan_id, 0.0)  # the wave's cross-reviews included
    done = sum(1 for t in tasks if t.status == TaskStatus.DONE)
    return RunSummary(plan_id, status, len(tasks), done, cost, waiting, message)


def with_handoff(ctx: EngineContext, summary: RunSummary) -> RunSummary:
    """``summary`` with the plan's hand-off attached (a done plan's is also journalled as
    a ``plan.handoff`` event, which the dashboard reads)."""
    found = handoff_read.for_run(ctx.bus, summary.plan_id, summary.status,
                                 worktrees=ctx.worktrees)  # fmt: skip
    return replace(summary, handoff=found) if found is not None else summary
