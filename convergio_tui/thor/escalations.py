"""Escalations: tasks Thor rejected ``max_rounds`` times, waiting for a person.

A person approves (the task is ``done``, ``validated_by = human:<user>``), retries (one
more round, optionally on another provider/model and with a note) or rejects (the task
``failed``, its wave ``blocked``). Every change happens in one ``immediate()`` block, as
conditional moves of ``store.transitions``: a task no longer escalated (a person cancelled
it) is not decided.

This is the write side; what a person reads (``EscalationView``, the listing, the round
history) is ``store/queries/escalations.py``.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Literal

from convergio_tui.config.schema import Config
from convergio_tui.providers.redact import project_redactor
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Escalation, Event, Task, now
from convergio_tui.store.queries.costs import task_costs
from convergio_tui.store.queries.escalations import EscalationView, round_history, view_of
from convergio_tui.store.states import (
    ESCALATION_DECIDABLE,
    TASK_DECIDABLE,
    EscalationStatus,
    TaskStatus,
    WaveStatus,
)
from convergio_tui.store.transitions import move_row, move_wave
from convergio_tui.thor.feedback import reviewer_note
from convergio_tui.thor.resolve import resolution_problem
from convergio_tui.thor.secrets import sanitize

# resolve: a person fixed the task by hand in its worktree (thor/resolve.py).
Action = Literal["approve", "retry", "reject", "resolve"]
ACTIONS: tuple[str, ...] = ("approve", "retry", "reject", "resolve")


class EscalationError(Exception):
    """A decision that cannot be made (unknown id, already decided, bad arguments)."""

    def __init__(self, message: str, *, not_found: bool = False, bad_input: bool = False) -> None:
        super().__init__(message)
        self.not_found = not_found
        self.bad_input = bad_input  # the arguments are wrong (CLI exit 2), not the state


def _diff_stat_of(task: Task) -> str:
    """Best effort: the task branch against its wave branch in the project repo."""
    from convergio_tui.thor.git import diff_stat

    wave_branch = task.wave.branch
    if not task.branch or not wave_branch:
        return ""
    repo = Path(task.plan.project.path)
    return diff_stat(repo, wave_branch, task.branch) if repo.is_dir() else ""


def open_escalation(
    task: Task, diff_stat: str = "", *, redact: Callable[[str], str] | None = None,
    reason: str | None = None, conflict: dict[str, Any] | None = None,
) -> Escalation:  # fmt: skip
    """Create the pending escalation for ``task`` (call inside a transaction).

    ``redact`` (the project's vault redactor) masks the summary's diff stat; the rounds
    come from rejection events, masked when they were written. ``reason`` replaces the
    usual "rejected N time(s)" one; ``conflict`` (an approved task that no longer merges:
    engine/approved.py) is kept in the summary under that key.
    """
    rounds = round_history(int(task.id))
    last = rounds[-1] if rounds else {}
    failing = [g["name"] for g in last.get("gates", []) if g.get("verdict") == "fail"]
    reason = reason or (
        f"rejected {len(rounds)} time(s) by Thor; last failing gates: "
        f"{', '.join(failing) or 'unknown'}"
    )
    summary = {
        "rounds": rounds,
        "diff_stat": _masked(diff_stat or _diff_stat_of(task), redact),
        "spend_usd": round(task_costs([int(task.id)]).get(int(task.id), 0.0), 6),
        **({"conflict": conflict} if conflict else {}),
    }
    escalation = Escalation.create(task=task.id, reason=reason, summary=summary)
    Event.create(
        level="warning", kind="escalation", plan=task.plan_id, task=task.id,
        message=f"{task.code} escalated after {len(rounds)} rejection(s): waits for a person "
        f"(convergio escalations list)",
        data={"escalation": int(escalation.id)},
    )  # fmt: skip
    return escalation


def current_user() -> str:
    """The person deciding, as recorded in ``validated_by`` (``human:<user>``): ``$USER``
    (``$USERNAME`` on Windows), else the login name, else ``unknown``. The CLI and the
    dashboard both record this one name."""
    user = os.environ.get("USER") or os.environ.get("USERNAME")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def decide(
    escalation_id: int,
    action: str,
    user: str,
    note: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    *,
    config: Config | None = None,
) -> EscalationView:
    """Record a person's decision on a pending escalation and move its task on.

    ``provider``/``model`` are only for ``retry``: they become the task's requested
    provider and model so routing honours them (with ``config``, a provider without a
    model gets that provider's default model).
    """
    if action not in ACTIONS:
        raise EscalationError(
            f"unknown action {action!r}; use one of {', '.join(ACTIONS)}", bad_input=True
        )
    user = user.strip()
    if not user:
        raise EscalationError("a decision needs the name of the person making it", bad_input=True)
    if action != "retry" and (provider or model):
        raise EscalationError("--provider and --model only apply to retry", bad_input=True)
    if config is not None and provider and provider not in config.providers:
        known = ", ".join(config.providers)
        raise EscalationError(f"unknown provider {provider!r} (known: {known})", bad_input=True)
    # A pasted secret must reach neither the DB nor the next agent's argv. The vault is
    # read before the write transaction: its key derivation is deliberately slow.
    redact = _note_redactor(escalation_id) if note else None
    if action == "resolve":  # git reads, before the write transaction
        problem = resolution_problem(escalation_id)
        if problem is not None:
            raise EscalationError(f"escalation {escalation_id}: {problem}")
    with immediate():
        esc = Escalation.get_or_none(Escalation.id == escalation_id)
        if esc is None:
            raise EscalationError(f"no escalation {escalation_id}", not_found=True)
        if esc.status not in ESCALATION_DECIDABLE:
            raise EscalationError(
                f"escalation {escalation_id} was already decided ({esc.status} by {esc.decided_by})"
            )
        if esc.task_id is None:  # a wave's escalation (thor/wave_escalations.py)
            if provider or model:
                raise EscalationError(
                    "--provider and --model apply to a task's retry; a wave's tasks go back "
                    "on their own providers", bad_input=True,
                )  # fmt: skip
            from convergio_tui.thor.wave_escalations import decide_wave  # rounds imports us

            esc.decided_by, esc.decided_at = user, now()
            esc.note = sanitize(note, redact) if note else note
            decide_wave(esc, action, user, esc.note, partial(_close, esc))
            return view_of(Escalation.get_by_id(escalation_id))
        task: Task = esc.task
        if task.status not in TASK_DECIDABLE:  # a person cancelled it meanwhile
            raise EscalationError(
                f"escalation {escalation_id}: task {task.code} is {task.status}, no longer "
                "escalated; nothing to decide"
            )
        note = sanitize(note, redact) if note else note
        if config is not None and model:
            _check_model(config, provider or task.provider, model)
        esc.decided_by, esc.decided_at, esc.note = user, now(), note
        if action == "approve":
            _approve(esc, task, user)
        elif action == "resolve":
            _approve(esc, task, user, resolved=True)
        elif action == "retry":
            _retry(esc, task, user, note, provider, model, config)
        else:
            _reject(esc, task, user)
    return view_of(Escalation.get_by_id(escalation_id))


def _masked(text: str, redact: Callable[[str], str] | None) -> str:
    return redact(text) if redact is not None else text


def _note_redactor(escalation_id: int) -> Callable[[str], str] | None:
    """The vault redactor of the escalated task's project (None: no such escalation)."""
    esc = Escalation.get_or_none(Escalation.id == escalation_id)
    if esc is None:
        return None
    plan = esc.task.plan if esc.task_id is not None else esc.wave.plan
    return project_redactor(str(plan.project.name))


def model_problem(config: Config, provider: str | None, model: str) -> str | None:
    """Why ``provider`` cannot run ``model`` (it offers no such model), or None; an
    unknown provider is the caller's to report. Shared by a retry and a re-run."""
    offered = config.providers.get(provider) if provider else None
    if offered is not None and offered.model(model) is None:
        ids = ", ".join(m.id for m in offered.models if m.enabled)
        return f"{provider} offers no model {model!r} (offers: {ids})"
    return None


def _check_model(config: Config, provider: str | None, model: str) -> None:
    problem = model_problem(config, provider, model)
    if problem is not None:
        raise EscalationError(problem, bad_input=True)


def next_round_values(
    task: Task, user: str, note: str | None, provider: str | None, model: str | None,
    config: Config | None,
) -> dict[str, Any]:  # fmt: skip
    """The task's columns for one more round a person asked for (a retry, a re-run): the
    round, Thor's validation cleared, the note in the prompt, and the provider and model
    to route to first (a provider alone gets its default model when ``config`` is known)."""
    round_no = int(task.round) + 1
    values: dict[str, Any] = {"round": round_no, "validated_by": None, "validated_at": None}
    if note and note.strip():
        values["prompt"] = f"{task.prompt}{reviewer_note(round_no, user, note)}"
    if provider:
        if model is None and config is not None:
            model = config.providers[provider].default_model
        values.update(requested_provider=provider, requested_model=model, provider=provider,
                      model=model or task.model)  # fmt: skip
    elif model:
        values.update(requested_model=model, model=model)
    return values


def _close(esc: Escalation, status: EscalationStatus, **values: Any) -> None:
    """Record the decision on the escalation (pending: checked in this transaction)."""
    move_row(esc, status, decided_by=esc.decided_by, decided_at=esc.decided_at, note=esc.note,
             **values)  # fmt: skip


def _approve(esc: Escalation, task: Task, user: str, *, resolved: bool = False) -> None:
    # The escalation first: the done-guard trigger looks for the approved row. A task
    # resolved by hand is approved as its branch now is (thor/resolve.py checked it).
    _close(esc, EscalationStatus.APPROVED)
    move_row(task, TaskStatus.DONE, frm=TASK_DECIDABLE, validated_by=f"human:{user}",
             validated_at=now())  # fmt: skip
    if resolved:
        _event(task, "info", "escalation_resolved",
               f"{task.code} resolved by hand by {user}: its branch merges cleanly", esc)  # fmt: skip
    else:
        _event(task, "info", "escalation_approved", f"{task.code} approved by {user}", esc)


def _retry(
    esc: Escalation, task: Task, user: str, note: str | None, provider: str | None,
    model: str | None, config: Config | None,
) -> None:  # fmt: skip
    _close(esc, EscalationStatus.RETRIED, provider=provider, model=model)
    values = next_round_values(task, user, note, provider, model, config)
    move_row(task, TaskStatus.QUEUED, frm=TASK_DECIDABLE, **values)
    where = f" on {provider or task.provider}/{model or task.model}"
    _event(task, "info", "escalation_retried", f"{task.code} retried by {user}{where}", esc)


def _reject(esc: Escalation, task: Task, user: str) -> None:
    _close(esc, EscalationStatus.REJECTED)
    move_row(task, TaskStatus.FAILED, frm=TASK_DECIDABLE)
    move_wave(task.wave_id, WaveStatus.BLOCKED)
    _event(task, "error", "escalation_rejected",
           f"{task.code} rejected by {user}: task failed, wave blocked", esc)  # fmt: skip


def _event(task: Task, level: str, kind: str, message: str, esc: Escalation) -> None:
    Event.create(level=level, kind=kind, plan=task.plan_id, task=task.id, message=message,
                 data={"escalation": int(esc.id), "note": esc.note})  # fmt: skip
