"""Escalations of a whole wave: its merged branch fails its checks and no task is left to
send back (a person approved them, or their retries are spent).

Instead of failing the plan, the wave goes to a person with the evidence. Their choices
(``decide`` routes a wave escalation here):

- ``approve``: accept the wave as it is; it is done and the plan goes on (the journal and
  the plan's end say so);
- ``retry``: send the tasks the failure points at (else every task of the wave) back for
  another round with the evidence, approved ones included: the person overrides;
- ``resolve``: the person fixed the wave branch by hand and committed there: the wave is
  reviewed again, no agent runs;
- ``reject``: the wave fails, and with it the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from convergio_tui.store.models import Escalation, Event, Task, Wave
from convergio_tui.store.states import EscalationStatus, TaskStatus, WaveStatus
from convergio_tui.store.transitions import move_row
from convergio_tui.thor.feedback import rejection_section, reviewer_note
from convergio_tui.thor.outcome import GateOutcome, Review, evidence_text
from convergio_tui.thor.rounds import blamed_codes, round_record
from convergio_tui.thor.secrets import sanitize
from convergio_tui.thor.summary_text import round_summary

WAVE_BLOCKABLE = (WaveStatus.VALIDATING, WaveStatus.RUNNING, WaveStatus.BLOCKED)


def last_wave_escalation(wave_id: int) -> Escalation | None:
    """The wave's latest escalation (pending, or as its person decided it), if any."""
    return (
        Escalation.select().where(Escalation.wave == wave_id).order_by(Escalation.id.desc()).first()
    )


def open_wave_escalation(wave: Wave, review: Review, round_no: int) -> Escalation:
    """Escalate ``wave`` with its failed review (call inside a transaction); the wave is
    ``blocked`` until its person decides."""
    redact = review.redact
    tasks = list(Task.select().where(Task.wave == wave.id).order_by(Task.code))
    named = blamed_codes(review, [str(t.code) for t in tasks])
    failing = [o.name for o in review.outcomes if o.failed]
    reason = (
        f"wave {wave.seq}'s merged branch fails {', '.join(failing) or 'its review'} and no "
        "task is left to send back: approve the wave as it is, retry its tasks, resolve it "
        "on the wave branch, or reject it"
    )
    summary = {
        "rounds": [round_record(round_no, "wave", review.outcomes, redact)],
        "diff_stat": sanitize(review.diff_stat, redact),
        "spend_usd": 0.0,
        "tasks": sorted(named) if named is not None else [str(t.code) for t in tasks],
        "wave_branch": str(wave.branch or ""),
    }
    esc = Escalation.create(task=None, wave=wave.id, reason=reason, summary=summary)
    move_row(wave, WaveStatus.BLOCKED, frm=WAVE_BLOCKABLE)
    Event.create(
        level="warning", kind="escalation", plan=wave.plan_id,
        message=f"wave {wave.seq} escalated: {sanitize(round_summary(review.outcomes), redact)}; "
        "waits for a person (convergio escalations list)",
        data={"escalation": int(esc.id), "wave": int(wave.id)},
    )  # fmt: skip
    return esc


def decide_wave(esc: Escalation, action: str, user: str, note: str | None,
                close: Callable[..., None]) -> None:  # fmt: skip
    """Carry out ``action`` on the wave escalation ``esc`` (inside the decision's
    transaction; ``close`` records the decision on the escalation row)."""
    wave: Wave = esc.wave
    if action == "approve":
        close(EscalationStatus.APPROVED)
        move_row(wave, WaveStatus.DONE, frm=[WaveStatus.BLOCKED])
        _event(wave, esc, "info", "escalation_approved",
               f"wave {wave.seq} accepted by {user} as it is, over its failing checks")  # fmt: skip
    elif action == "retry":
        close(EscalationStatus.RETRIED)
        summary: dict[str, Any] = esc.summary or {}
        codes = {str(c) for c in summary.get("tasks") or []}
        sent = _send_back(wave, esc, codes, user, note)
        move_row(wave, WaveStatus.RUNNING, frm=[WaveStatus.BLOCKED])
        _event(wave, esc, "info", "escalation_retried",
               f"wave {wave.seq} retried by {user}: {', '.join(sent) or 'no task'} sent back")  # fmt: skip
    elif action == "resolve":
        close(EscalationStatus.RETRIED)
        move_row(wave, WaveStatus.RUNNING, frm=[WaveStatus.BLOCKED])
        _event(wave, esc, "info", "escalation_resolved",
               f"wave {wave.seq} fixed by hand by {user}: reviewed again on the next run")  # fmt: skip
    else:
        close(EscalationStatus.REJECTED)
        move_row(wave, WaveStatus.FAILED, frm=[WaveStatus.BLOCKED])
        _event(wave, esc, "error", "escalation_rejected",
               f"wave {wave.seq} rejected by {user}: the wave failed")  # fmt: skip


def _send_back(wave: Wave, esc: Escalation, codes: set[str], user: str,
               note: str | None) -> list[str]:  # fmt: skip
    """The named done tasks (all done ones when none is named) back to ``queued`` for a new
    round, with the wave's evidence and the person's note in their prompt."""
    summary: dict[str, Any] = esc.summary or {}
    rounds: list[dict[str, Any]] = summary.get("rounds") or [{}]
    last = rounds[-1]
    failed = [
        GateOutcome(int(g["gate"]), str(g["name"]), "fail", str(g.get("evidence", "")))
        for g in last.get("gates", [])
        if g.get("verdict") == "fail"
    ]
    evidence = evidence_text(failed)  # as the review's own rejection words it
    sent = []
    for task in Task.select().where(Task.wave == wave.id, Task.status == TaskStatus.DONE):
        if codes and task.code not in codes:
            continue
        round_no = int(task.round) + 1
        prompt = f"{task.prompt}{rejection_section(int(task.round), [o.name for o in failed], evidence, 'wave')}"
        if note and note.strip():
            prompt += reviewer_note(round_no, user, note)
        if move_row(task, TaskStatus.QUEUED, frm=[TaskStatus.DONE], prompt=prompt,
                    round=round_no, validated_by=None, validated_at=None):  # fmt: skip
            sent.append(str(task.code))
    return sent


def _event(wave: Wave, esc: Escalation, level: str, kind: str, message: str) -> None:
    Event.create(level=level, kind=kind, plan=wave.plan_id, message=message,
                 data={"escalation": int(esc.id), "wave": int(wave.id), "note": esc.note})  # fmt: skip
