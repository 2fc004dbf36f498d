"""Task state after a review: accept (done), reject (next round) or escalate.

Every transition happens inside ``store.db.immediate()``, as a conditional move of
``store.transitions`` (a task a person cancelled meanwhile stays cancelled). A rejected task goes
straight back to ``queued`` with ``round + 1``: the rejection itself is recorded as an
``event`` (kind ``rejected``, its gate evidence in ``data``) and in ``gate_result``,
so no intermediate ``rejected`` status lingers for the engine to trip over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from convergio_tui.config.schema import Config
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Event, Task, Wave, now
from convergio_tui.store.states import TASK_REJECTABLE, TaskStatus, WaveStatus
from convergio_tui.store.transitions import move_row, move_task
from convergio_tui.thor.escalations import open_escalation
from convergio_tui.thor.feedback import rejection_section
from convergio_tui.thor.outcome import GateOutcome, Review, evidence_text, mentions
from convergio_tui.thor.secrets import sanitize
from convergio_tui.thor.summary_text import round_summary, tally


def accept_task(task_id: int) -> bool:
    """Mark the ``validating`` task ``done``, validated by Thor (the DB trigger checks the
    gates). False when it is no longer validating (a person cancelled it meanwhile)."""
    with immediate():
        return move_task(task_id, TaskStatus.DONE, frm=[TaskStatus.VALIDATING],
                         validated_by="thor", validated_at=now())  # fmt: skip


def round_record(
    round_no: int, scope: str, outcomes: list[GateOutcome], redact: Callable[[str], str] | None
) -> dict[str, object]:
    """The rejection event's data (an escalation keeps every one): the gates with the
    evidence of failures and the reason of skips (a pass needs none), and the round's
    summary with passes, failures and skips counted apart."""
    counted = tally(outcomes)
    return {
        "round": round_no,
        "scope": scope,
        "summary": sanitize(counted.text(), redact),
        **counted.counts(),
        "gates": [
            {"gate": o.gate, "name": o.name, "verdict": o.verdict,
             "evidence": sanitize(o.evidence, redact) if o.verdict != "pass" else ""}
            for o in outcomes
        ],
    }  # fmt: skip


def _reject(
    task: Task, review: Review, config: Config, scope: str, outcomes: list[GateOutcome],
    frm: Iterable[str] = TASK_REJECTABLE,
) -> str | None:  # fmt: skip
    """Append the evidence, log the rejection, then requeue or escalate; the new status,
    or None when the task is no longer in ``frm`` (nothing written). In a transaction.

    Everything written is masked with the review's vault redactor first: the prompt
    becomes the next agent's argv, so a value in it would reach a process list.
    """
    round_no = int(task.round)
    redact = review.redact
    names = [o.name for o in outcomes if o.failed] or ["review"]
    evidence = sanitize(evidence_text(outcomes) or review.evidence_text, redact)
    prompt = f"{task.prompt}{rejection_section(round_no, names, evidence, scope)}"
    escalate = round_no >= config.thor.max_rounds
    to = TaskStatus.ESCALATED if escalate else TaskStatus.QUEUED
    if not move_row(task, to, frm=frm, prompt=prompt, validated_by=None, validated_at=None,
                    round=round_no if escalate else round_no + 1):  # fmt: skip
        return None
    Event.create(
        level="warning", kind="rejected", plan=task.plan_id, task=task.id,
        message=f"{task.code} rejected by Thor in round {round_no} ({scope}): "
        f"{sanitize(round_summary(outcomes), redact)}",
        data=round_record(round_no, scope, outcomes, redact),
    )  # fmt: skip
    if escalate:
        open_escalation(task, review.diff_stat, redact=redact)
    return to


def reject_task(
    task_id: int, review: Review, config: Config, *, frm: Iterable[str] = TASK_REJECTABLE
) -> str | None:
    """Reject the task's current round; return its new status (``queued``/``escalated``),
    or None when it is no longer in ``frm`` (a person cancelled it meanwhile)."""
    with immediate():
        task = Task.get_by_id(task_id)
        return _reject(task, review, config, "task", review.outcomes, frm)


def _blames(outcome: GateOutcome, code: str) -> bool:
    return code in outcome.tasks if outcome.attributed else mentions(outcome.evidence, code)


def blamed_codes(review: Review, codes: list[str]) -> set[str] | None:
    """Task codes a wave review's failures name; ``None`` when some failure names none."""
    named: set[str] = set()
    for o in review.outcomes:
        if not o.failed:
            continue
        found = {c for c in codes if _blames(o, c)}
        if not found:
            return None
        named |= found
    return named


def reject_wave(wave_id: int, review: Review, config: Config) -> list[int]:
    """Send the wave back: the tasks its failed gates name, else all its tasks.

    Returns the ids of the tasks re-queued (those past ``max_rounds`` escalate instead).
    Tasks a person approved are never sent back. The wave is ``running`` again when any
    task was sent back; otherwise its status is left to the engine.
    """
    with immediate():
        wave = Wave.get_by_id(wave_id)
        tasks = list(Task.select().where(Task.wave == wave_id).order_by(Task.code))
        named = blamed_codes(review, [str(t.code) for t in tasks])
        requeued: list[int] = []
        sent_back = 0
        for task in tasks:
            approved = str(task.validated_by or "").startswith("human:")
            if task.status not in TASK_REJECTABLE or approved:
                continue  # a person's approval is not overturned by a machine
            if named is not None and task.code not in named:
                continue
            if named is None:
                outcomes = review.outcomes
            else:
                # Each task sees the failures that name it (and gates that name no one).
                outcomes = [o for o in review.outcomes if not o.failed or _blames(o, task.code)]
            status = _reject(task, review, config, "wave", outcomes)
            sent_back += status is not None
            if status == TaskStatus.QUEUED:
                requeued.append(int(task.id))
        if sent_back:
            move_row(wave, WaveStatus.RUNNING)
        Event.create(
            level="warning", kind="wave_rejected", plan=wave.plan_id,
            message=f"wave {wave.seq} rejected by Thor: "
            f"{sanitize(round_summary(review.outcomes), review.redact)}; "
            f"{len(requeued)} task(s) re-queued",
            data={"wave": wave_id, "tasks": sorted(named) if named is not None else "all"},
        )  # fmt: skip
        return requeued
