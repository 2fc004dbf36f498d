"""Re-running a finished task: a new round, back to the queue, maybe elsewhere, with a note.

A person re-runs a task that is done, failed, skipped, cancelled or escalated (from the
dashboard's task detail, or ``convergio task rerun``). In one ``immediate()`` block, as
conditional moves of :mod:`convergio_tui.store.transitions`:

- the task goes back to ``queued`` with ``round + 1`` and ``validated_by`` cleared; a
  requested provider and model (checked against the configuration) become its requested
  ones, as a retry's do; the note is appended to its prompt as a reviewer note
  (:func:`convergio_tui.thor.feedback.reviewer_note`, vault values masked);
- a pending escalation of the task is closed as ``retried`` by that person;
- tasks of the same wave that were skipped because they depend on it are queued again;
- its wave, if done, failed or blocked, is ``running`` again (a done wave is reviewed
  again once the task is through; later waves are left as they are until they run);
  the plan, if done or failed, is ``doing`` again.

Routing still decides at dispatch: whatever was requested, a sensitive task only goes
to a local provider (engine/router.py). A cloud provider for a task that is sensitive
now is refused here too, before anything is written, so the person hears it at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from convergio_tui.config.schema import Config
from convergio_tui.engine.events import record
from convergio_tui.engine.privacy import for_plan
from convergio_tui.providers.redact import project_redactor
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Escalation, Plan, Task, Wave, now
from convergio_tui.store.states import (
    ESCALATION_DECIDABLE,
    PLAN_REOPENABLE,
    TASK_RERUNNABLE,
    WAVE_REOPENABLE,
    EscalationStatus,
    PlanStatus,
    TaskStatus,
    WaveStatus,
)
from convergio_tui.store.transitions import move_plan, move_row, move_wave
from convergio_tui.thor.escalations import model_problem, next_round_values
from convergio_tui.thor.secrets import sanitize


class RerunError(Exception):
    """A re-run that cannot be made: bad arguments (exit 2), an unknown task, or a task
    whose state refuses it now (running, its wave under review, its plan cancelled)."""

    def __init__(self, message: str, *, bad_input: bool = False, not_found: bool = False) -> None:
        super().__init__(message)
        self.bad_input = bad_input
        self.not_found = not_found


@dataclass(frozen=True)
class Rerun:
    """What a re-run did (``convergio task rerun --json``)."""

    task_id: int
    code: str
    plan_id: int
    wave_seq: int
    previous_status: str
    status: str
    round: int
    provider: str | None
    model: str | None
    note: str | None
    escalation_id: int | None  # the pending escalation closed as retried
    wave_reopened: bool
    plan_reopened: bool
    plan_status: str
    requeued: tuple[str, ...]  # skipped tasks of the wave that depend on it, queued again

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (docs/cli.md)."""
        out = asdict(self)
        out["requeued"] = list(self.requeued)
        return out


def rerun_task(
    task_id: int,
    config: Config,
    user: str,
    *,
    provider: str | None = None,
    model: str | None = None,
    note: str | None = None,
) -> Rerun:
    """Send task ``task_id`` back to the queue for a new round (see the module docstring).

    Raises :class:`RerunError`: ``bad_input`` for an unknown or disabled provider, a model
    the provider does not offer, a cloud provider for a sensitive task, no user;
    ``not_found`` for no such task; otherwise the task's state refuses it now.
    """
    user, provider, model = user.strip(), provider or None, model or None
    note = note.strip() if note and note.strip() else None
    if not user:
        raise RerunError("a re-run needs the name of the person asking for it", bad_input=True)
    task = Task.get_or_none(Task.id == task_id)
    if task is None:
        raise RerunError(f"no task {task_id}", not_found=True)
    _check_target(config, task, provider, model)
    # A pasted secret must reach neither the database nor the next agent's argv; the
    # vault is read before the write transaction (its key derivation is slow on purpose).
    if note:
        note = sanitize(note, project_redactor(str(task.plan.project.name)))
    with immediate():
        return _rerun(Task.get_by_id(task_id), config, user, provider, model, note)


def _check_target(config: Config, task: Task, provider: str | None, model: str | None) -> None:
    """The requested provider and model exist, are enabled, and may take the task."""
    if provider is not None:
        offered = config.providers.get(provider)
        if offered is None:
            known = ", ".join(config.providers)
            raise RerunError(f"unknown provider {provider!r} (known: {known})", bad_input=True)
        if not offered.enabled:
            raise RerunError(
                f"provider {provider!r} is disabled in the configuration "
                f"(providers.{provider}.enabled)",
                bad_input=True,
            )
        privacy = for_plan(config, task.plan, task.privacy).privacy
        if privacy == "sensitive" and offered.privacy_level != "local":
            raise RerunError(
                f"{task.code} is sensitive: it never leaves the machine, and {provider} is a "
                "cloud provider; pick a local one (or leave --provider out)",
                bad_input=True,
            )
    problem = model_problem(config, provider or task.provider, model) if model else None
    if problem is not None:
        raise RerunError(problem, bad_input=True)


def _refusal(task: Task, plan: Plan, wave: Wave) -> str | None:
    """Why the task cannot be re-run now, or None."""
    if task.status not in TASK_RERUNNABLE:
        hint = (
            "wait for it to finish, or cancel it first"
            if task.status != TaskStatus.PENDING
            else "its wave has not started yet"
        )
        return (
            f"{task.code} is {task.status}: only a done, failed, skipped, cancelled or "
            f"escalated task can be re-run ({hint})"
        )
    if plan.status == PlanStatus.CANCELLED:
        return f"plan {plan.id} ({plan.name}) was cancelled: its tasks cannot be re-run"
    if wave.status == WaveStatus.VALIDATING:
        return f"wave {wave.seq} is being reviewed by Thor now; re-run {task.code} once it is done"
    if wave.status == WaveStatus.CANCELLED:
        return f"wave {wave.seq} was cancelled: its tasks cannot be re-run"
    return None


def _rerun(
    task: Task, config: Config, user: str, provider: str | None, model: str | None,
    note: str | None,
) -> Rerun:  # fmt: skip
    plan, wave = task.plan, task.wave
    problem = _refusal(task, plan, wave)
    if problem is not None:
        raise RerunError(problem)
    previous = str(task.status)
    values = next_round_values(task, user, note, provider, model, config)
    round_no = int(values["round"])
    if provider:
        model = str(values["model"])  # the provider's default when none was asked for
    if not move_row(task, TaskStatus.QUEUED, frm=TASK_RERUNNABLE, blocked_reason=None, **values):
        raise RerunError(f"{task.code} changed meanwhile; look again and retry")  # raced
    esc = Escalation.get_or_none(
        Escalation.task == task.id, Escalation.status.in_(sorted(ESCALATION_DECIDABLE))
    )
    if esc is not None:
        move_row(esc, EscalationStatus.RETRIED, frm=ESCALATION_DECIDABLE, decided_by=user,
                 decided_at=now(), note=note, provider=provider, model=model)  # fmt: skip
    requeued = _requeue_dependents(task)
    wave_reopened = wave.status in WAVE_REOPENABLE and move_wave(
        wave.id, WaveStatus.RUNNING, frm=WAVE_REOPENABLE
    )
    plan_reopened = plan.status in PLAN_REOPENABLE and move_plan(
        plan.id, PlanStatus.DOING, frm=PLAN_REOPENABLE, finished_at=None
    )
    where = f" on {task.provider}/{task.model}" if task.provider else ""
    record(
        "task.rerun",
        f"{task.code} re-run by {user} (was {previous}): round {round_no}{where}"
        + (f"; {', '.join(requeued)} queued again" if requeued else ""),
        plan_id=plan.id, task_id=task.id,
        data={"round": round_no, "previous": previous, "provider": provider, "model": model,
              "note": note, "escalation": esc.id if esc is not None else None},
    )  # fmt: skip
    return Rerun(
        task_id=int(task.id), code=str(task.code), plan_id=int(plan.id), wave_seq=int(wave.seq),
        previous_status=previous, status=str(task.status), round=round_no,
        provider=task.provider, model=task.model, note=note,
        escalation_id=int(esc.id) if esc is not None else None,
        wave_reopened=bool(wave_reopened), plan_reopened=bool(plan_reopened),
        plan_status=str(Plan.get_by_id(plan.id).status), requeued=tuple(requeued),
    )  # fmt: skip


def _requeue_dependents(task: Task) -> list[str]:
    """Queue again the tasks of ``task``'s wave that were skipped because they depend on
    it (directly or through another skipped task); returns their codes."""
    skipped = {
        str(t.code): t
        for t in Task.select().where(Task.wave == task.wave_id, Task.status == TaskStatus.SKIPPED)
    }
    back: set[str] = {str(task.code)}
    grew = True
    while grew:
        grew = False
        for code, other in skipped.items():
            if code not in back and back & set(other.depends_on or []):
                back.add(code)
                grew = True
    requeued = []
    for code in sorted(back - {str(task.code)}):
        if move_row(skipped[code], TaskStatus.QUEUED, frm=[TaskStatus.SKIPPED],
                    blocked_reason=None):  # fmt: skip
            requeued.append(code)
    return requeued
