"""Wave lifecycle: start (branch, queue the tasks), settle (review, advance, fail, wait).

Waves run in ``seq`` order. A wave's branch is made from the previous wave's branch (wave
1: the project's base branch). When every task of a wave is finished the engine merges
any task a person approved, then asks Thor for the wave review; a failed review sends
the named tasks back (``thor.rounds.reject_wave``), or, with none to send back, escalates
the wave to a person (``thor.wave_escalations``).
"""

from __future__ import annotations

from dataclasses import dataclass

from convergio_tui.engine import gitops, worktrees
from convergio_tui.engine.approved import merge_approved
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.crossreview_run import runner_for
from convergio_tui.engine.events import TaskChanged, WaveChanged
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Task, Wave
from convergio_tui.store.statements import fetch, select_by_id
from convergio_tui.store.states import (
    TASK_DEAD_END,
    TASK_FINISHED,
    TASK_NOT_STARTED,
    WAVE_CLOSED,
    EscalationStatus,
    Kind,
    TaskStatus,
    WaveStatus,
)
from convergio_tui.store.transitions import move, move_row, move_task
from convergio_tui.thor.record import next_wave_round
from convergio_tui.thor.review import WaveReviewInput, review_wave
from convergio_tui.thor.rounds import reject_wave
from convergio_tui.thor.summary_text import round_summary
from convergio_tui.thor.wave_escalations import last_wave_escalation, open_wave_escalation


@dataclass(frozen=True)
class Settled:
    """What the scheduler should do after :func:`settle`: ``advance`` (wave finished),
    ``continue`` (work was re-queued), ``failed`` (the plan cannot finish), ``stuck``
    (a person must act) or ``wait`` (only cooling providers stand in the way)."""

    action: str
    detail: str = ""


def current_wave(plan_id: int) -> Wave | None:
    """The first wave (by seq) not done or cancelled. Read a few times a second by the
    scheduler: fixed text (store/statements.py), then the row by its id."""
    closed = sorted(WAVE_CLOSED)

    def query() -> object:
        return (
            Wave.select(Wave.id)
            .where(Wave.plan == 0, Wave.status.not_in(closed))
            .order_by(Wave.seq)
            .limit(1)
        )

    found = fetch(("current_wave", len(closed)), query, (plan_id, *closed, 1))
    return select_by_id(Wave, found[0][0]) if found else None


def base_ref(ctx: EngineContext, wave: Wave) -> str:
    """What the wave's branch is made from."""
    if wave.seq <= 1:
        return ctx.project.base_branch
    previous = Wave.get_or_none(Wave.plan == ctx.plan_id, Wave.seq == wave.seq - 1)
    if previous is not None and previous.branch:
        return str(previous.branch)
    return gitops.wave_branch_name(ctx.plan_uid, wave.seq - 1)


def _set_wave(ctx: EngineContext, wave: Wave, status: WaveStatus, detail: str = "") -> None:
    """Move ``wave`` (and the copy held here) to ``status``, unless a person's decision
    moved it meanwhile (a cancelled plan's wave stays cancelled)."""
    if wave.status != status and move_row(wave, status):
        ctx.bus.emit(WaveChanged(wave.id, wave.seq, status, detail))


def start_wave(ctx: EngineContext, wave: Wave) -> str:
    """Create the wave branch (idempotent), queue its pending tasks, mark it running.

    Returns "" or, when the branch cannot be made (no such base branch, not a git
    repository), the problem; the wave is then ``blocked`` until a person fixes it.
    """
    if ctx.worktrees and not wave.branch:
        name = gitops.wave_branch_name(ctx.plan_uid, wave.seq)
        try:
            worktrees.ensure_branch(ctx.repo, name, base_ref(ctx, wave), owner=ctx.owner)
        except (gitops.GitError, OSError) as exc:
            problem = f"wave {wave.seq} cannot start: {exc}"
            ctx.bus.journal("wave.blocked", problem, level="error", plan_id=ctx.plan_id)
            _set_wave(ctx, wave, WaveStatus.BLOCKED, problem)
            return problem
        Wave.update(branch=name).where(Wave.id == wave.id).execute()
        wave.branch = name
    move(Kind.TASK, TaskStatus.QUEUED, Task.wave == wave.id, frm=[TaskStatus.PENDING])
    if wave.status != WaveStatus.VALIDATING:
        _set_wave(ctx, wave, WaveStatus.RUNNING)
    return ""


def skip_dependents(ctx: EngineContext, wave: Wave) -> int:
    """Tasks that depend on a failed, cancelled or skipped task can never run: skip them."""
    tasks = list(Task.select().where(Task.plan == ctx.plan_id))
    status = {t.code: t.status for t in tasks}
    skipped = 0
    for task in tasks:
        if task.wave_id != wave.id or task.status not in TASK_NOT_STARTED:
            continue
        dead = [d for d in task.depends_on or [] if status.get(d) in TASK_DEAD_END]
        if dead:
            reason = "skipped: depends on " + ", ".join(f"{d} ({status[d]})" for d in dead)
            if move_task(task.id, TaskStatus.SKIPPED, frm=TASK_NOT_STARTED, blocked_reason=reason):
                ctx.bus.emit(TaskChanged(task.id, TaskStatus.SKIPPED, task.code, reason))
                skipped += 1
    return skipped


def _review(ctx: EngineContext, wave: Wave, tasks: list[Task]) -> Settled:
    esc = last_wave_escalation(wave.id)
    if esc is not None and esc.status == EscalationStatus.PENDING:
        # Reviewing again would only escalate it a second time.
        problem = f"wave {wave.seq}: escalation {esc.id} waits for a person"
        _set_wave(ctx, wave, WaveStatus.BLOCKED, problem)
        return Settled("stuck", problem)
    if esc is not None and esc.status == EscalationStatus.REJECTED:
        problem = f"wave {wave.seq} was rejected by {esc.decided_by} (escalation {esc.id})"
        _set_wave(ctx, wave, WaveStatus.FAILED, problem)
        return Settled("failed", problem)
    conflicted = merge_approved(ctx, wave, tasks)
    if conflicted:
        problem = (f"approved work of {', '.join(conflicted)} conflicts with {wave.branch}: "
                   "retry it, or resolve it by hand (convergio escalations list)")  # fmt: skip
        _set_wave(ctx, wave, WaveStatus.BLOCKED, problem)
        return Settled("stuck", problem)
    _set_wave(ctx, wave, WaveStatus.VALIDATING)
    review = review_wave(WaveReviewInput(
        wave_id=wave.id, repo=ctx.repo, wave_branch=str(wave.branch or ""),
        base_ref=base_ref(ctx, wave) if ctx.worktrees else "", config=ctx.config,
        secrets=tuple(ctx.secrets().values()), cross_review=runner_for(ctx, wave),
    ))  # fmt: skip
    summary = round_summary(review.outcomes)
    if review.passed:
        _set_wave(ctx, wave, WaveStatus.DONE, f"Thor's wave review: {summary}")
        ctx.bus.journal("wave.done", f"wave {wave.seq} {wave.name} passed Thor's wave review: "
                        f"{summary}", plan_id=ctx.plan_id)  # fmt: skip
        return Settled("advance")
    requeued = reject_wave(wave.id, review, ctx.config)  # the wave is running again
    ctx.bus.emit(WaveChanged(wave.id, wave.seq, WaveStatus.RUNNING,
                             f"wave review failed: {summary}"))  # fmt: skip
    escalated = (
        Task.select().where(Task.wave == wave.id, Task.status == TaskStatus.ESCALATED).exists()
    )
    if requeued or escalated:
        return Settled("continue", f"wave review failed; {len(requeued)} task(s) re-queued")
    # Nobody to send it back to (approved work, or retries spent): the wave goes to a
    # person with the evidence, never silently failed or done (thor/wave_escalations.py).
    with immediate():
        esc = open_wave_escalation(wave, review, next_wave_round(wave.id) - 1)
    detail = f"wave review failed with no task to send back: escalation {esc.id} waits for a person"
    ctx.bus.emit(WaveChanged(wave.id, wave.seq, WaveStatus.BLOCKED, detail))
    return Settled("stuck", detail)


def settle(ctx: EngineContext, wave: Wave) -> Settled:
    """Called when nothing runs and nothing more could be dispatched in ``wave``."""
    if skip_dependents(ctx, wave):
        return Settled("continue")
    tasks = list(Task.select().where(Task.wave == wave.id))
    statuses = {t.status for t in tasks}
    if statuses <= TASK_FINISHED and TaskStatus.FAILED not in statuses:
        if TaskStatus.DONE not in statuses:  # all skipped or cancelled: nothing to review
            cancelled = TaskStatus.CANCELLED in statuses
            _set_wave(ctx, wave, WaveStatus.CANCELLED if cancelled else WaveStatus.DONE)
            return Settled("advance")
        return _review(ctx, wave, tasks)
    if statuses <= TASK_FINISHED:
        failed = ", ".join(sorted(t.code for t in tasks if t.status == TaskStatus.FAILED))
        _set_wave(ctx, wave, WaveStatus.FAILED, f"failed: {failed}")
        return Settled("failed", f"task(s) failed: {failed}")
    open_tasks = [t for t in tasks if t.status not in TASK_FINISHED]
    if any(t.id in ctx.waiting for t in open_tasks if t.status == TaskStatus.BLOCKED):
        return Settled("wait", "waiting for a provider to cool down")
    _set_wave(ctx, wave, WaveStatus.BLOCKED, "needs a person")
    return Settled("stuck", "nothing more can move without a person")
