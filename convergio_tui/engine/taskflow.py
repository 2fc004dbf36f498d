"""One dispatch from worktree to verdict, on an engine worker thread.

Workspace (own worktree and branch from the wave branch, reset to the round's start,
pre-flight check) -> the provider run (:mod:`engine.launch`) -> commit on the task branch
-> Thor's review -> on pass: merge into the wave branch, remove the worktree, accept; on
fail: reject (next round or escalation). Every status change is conditional on the
status we expect, so a person cancelling the task meanwhile always wins.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from convergio_tui.engine import gitops, guard, worktrees
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import Prepared
from convergio_tui.engine.events import RunFinished, TaskChanged
from convergio_tui.engine.launch import Executed, execute, finish_unstarted
from convergio_tui.engine.recovery_hooks import crash_point
from convergio_tui.store.models import Task
from convergio_tui.store.states import RunStatus, TaskStatus
from convergio_tui.store.transitions import move_task
from convergio_tui.thor.outcome import GateOutcome, Review, make_review
from convergio_tui.thor.record import record_task_gates
from convergio_tui.thor.review import TaskReviewInput, review_task
from convergio_tui.thor.rounds import accept_task, reject_task
from convergio_tui.thor.summary_text import round_summary
from convergio_tui.tools.worktree_check import check_worktree, claim_worktree, release_worktree

# Rate limits and auth errors are the provider's fault, not the task's: the task goes
# back to the queue in the same round, at most this many times per round.
INFRA_RETRIES_PER_ROUND = 3


@dataclass(frozen=True)
class Workspace:
    """Where the task runs and which branches it moves between."""

    cwd: Path
    worktree: Path | None = None
    branch: str | None = None
    wave_branch: str | None = None


class WorkspaceRefused(Exception):
    """The worktree failed its pre-flight; the message lists the failed checks."""


def transition(ctx: EngineContext, prep: Prepared, frm: Iterable[str], to: str, detail: str = "",
               **values: object) -> bool:  # fmt: skip
    """Move the task ``frm`` -> ``to`` only if it is still in one of ``frm``, and say so."""
    moved = move_task(prep.required_task_id, to, frm=frm, **values)
    if moved:
        ctx.bus.emit(TaskChanged(prep.required_task_id, to, prep.code, detail))
    return moved


def workspace(ctx: EngineContext, prep: Prepared) -> Workspace:
    """Make (or reuse) the task's worktree on its branch and check it before the run."""
    if not ctx.worktrees:
        return Workspace(ctx.repo)
    task = Task.get_by_id(prep.task_id)
    # Recorded names first (a plan from before plan uids keeps its own); each step below
    # touches the worktree only once it is proven ours (docs/worktrees.md).
    wave_branch = task.wave.branch or gitops.wave_branch_name(ctx.plan_uid, task.wave.seq)
    branch = task.branch or ctx.task_branch(task.code)
    path = ctx.worktree_for(task.code)
    owner, code = ctx.owner, task.code
    worktrees.ensure_worktree(ctx.repo, path, branch, wave_branch, root=ctx.worktree_root,
                              owner=owner, task=code)  # fmt: skip
    worktrees.reset_worktree(path, prep.round, owner=owner, task=code, branch=branch)
    synced = worktrees.sync_task_branch(path, wave_branch, owner=owner, task=code, branch=branch)
    if synced:
        ctx.bus.journal(
            "task.branch", f"{task.code}: {synced}", plan_id=ctx.plan_id, task_id=task.id
        )
    Task.update(worktree=str(path), branch=branch).where(Task.id == task.id).execute()
    with ctx.lock:
        busy = [a.worktree for a in ctx.active.values() if a.worktree and a.task_id != task.id]
    report = check_worktree(
        path, protected_branch=ctx.project.base_branch, allowed_root=ctx.worktree_root,
        max_behind=ctx.config.execution.max_behind, base_ref=wave_branch, busy_paths=busy,
    )  # fmt: skip
    if not report.ok:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in report.failed())
        raise WorkspaceRefused(f"worktree {path} failed its pre-flight: {failed}")
    claim_worktree(path)
    return Workspace(path, path, branch, wave_branch)


def process(ctx: EngineContext, prep: Prepared, cancel: threading.Event) -> None:
    """Everything after :func:`delegate.prepare` for one dispatch."""
    try:
        space = workspace(ctx, prep)
    except (WorkspaceRefused, gitops.GitError) as exc:
        finish_unstarted(ctx, prep, "worktree", str(exc))
        _hard_block(ctx, prep, str(exc), "worktree.refused")
        return
    with ctx.lock:
        if prep.task_id in ctx.active:
            ctx.active[prep.task_id].worktree = space.worktree
    try:
        done = execute(ctx, prep, space.cwd, cancel, space.branch)
    finally:
        if space.worktree is not None:
            release_worktree(space.worktree)
    ctx.bus.emit(
        RunFinished(
            prep.run_id, prep.required_task_id, prep.code, done.status, done.cost_usd, done.error
        )
    )
    after_run(ctx, prep, done, space)


def _hard_block(ctx: EngineContext, prep: Prepared, reason: str, kind: str) -> None:
    ctx.hard_blocked.add(prep.required_task_id)
    transition(ctx, prep, [TaskStatus.RUNNING], TaskStatus.BLOCKED, reason, blocked_reason=reason)
    ctx.bus.journal(
        kind, f"{prep.code}: {reason}", level="error", plan_id=ctx.plan_id, task_id=prep.task_id
    )


def after_run(ctx: EngineContext, prep: Prepared, done: Executed, space: Workspace) -> None:
    """Route the run's end: back to the queue, to a person, or to Thor."""
    crash_point("settled")  # test-only (recovery tests); a no-op otherwise
    tid = prep.required_task_id
    if done.status == RunStatus.INTERRUPTED:
        why = done.error if done.error_class == "node_lost" else "engine stopped"
        transition(ctx, prep, [TaskStatus.RUNNING], TaskStatus.QUEUED, f"{why}: will run again")
        return
    if done.status == RunStatus.CANCELLED:
        return  # a person cancelled the task; its status already says so
    if done.status == RunStatus.REFUSED or done.error_class == "integrity":
        _hard_block(ctx, prep, done.error, "task.blocked")
        return
    key = (tid, prep.round)
    if done.error_class in ("rate_limit", "auth", "model_not_found"):
        tries = ctx.infra_retries.get(key, 0)
        if tries < INFRA_RETRIES_PER_ROUND:
            ctx.infra_retries[key] = tries + 1
            why = f"{prep.provider} {done.error_class.replace('_', ' ')}: routed again"
            transition(
                ctx,
                prep,
                [TaskStatus.RUNNING],
                TaskStatus.QUEUED,
                why,
                result_text=done.text or None,
            )
            return
    if not transition(
        ctx, prep, [TaskStatus.RUNNING], TaskStatus.SUBMITTED, result_text=done.text or None
    ):
        return
    commit_and_review(ctx, prep, done, space)


def commit_and_review(ctx: EngineContext, prep: Prepared, done: Executed, space: Workspace) -> None:
    """From ``submitted``: commit the round's work on the task branch, then Thor's review.
    Idempotent up to the review (nothing left to commit is no commit), so recovery resumes
    a task caught ``submitted`` here."""
    crash_point("submitted")  # test-only (recovery tests); a no-op otherwise
    if space.worktree is not None:
        gitops.commit_all(space.worktree, prep.commit_message)
    if not transition(ctx, prep, [TaskStatus.SUBMITTED], TaskStatus.VALIDATING):
        return
    review_and_settle(ctx, prep, done, space)


def review_and_settle(ctx: EngineContext, prep: Prepared, done: Executed, space: Workspace) -> None:
    """Thor's verdict on the round, then merge and accept, or reject."""
    review = review_task(TaskReviewInput(
        task_id=prep.required_task_id, run_id=prep.run_id, round=prep.round, repo=ctx.repo,
        worktree=space.worktree, task_branch=space.branch, wave_branch=space.wave_branch,
        config=ctx.config, worker_success=done.success, worker_error=done.error,
        result_text=done.text, secrets=tuple(ctx.secrets().values()),
    ))  # fmt: skip
    crash_point("reviewed")  # test-only (recovery tests); a no-op otherwise
    if review.passed and space.branch and space.wave_branch:
        merged = gitops.merge_branch(ctx.repo, space.wave_branch, space.branch,
                                     f"Merge {prep.code} (round {prep.round}) into {space.wave_branch}")  # fmt: skip
        guard.record_merge(ctx, merged)
        crash_point("merged")  # test-only (recovery tests); a no-op otherwise
        if not merged.ok:
            review = conflict_review(ctx, prep, review, merged)
        else:
            assert space.worktree is not None
            worktrees.remove_worktree(ctx.repo, space.worktree, root=ctx.worktree_root,
                                      owner=ctx.owner, task=prep.code, branch=space.branch)  # fmt: skip
            Task.update(worktree=None).where(Task.id == prep.task_id).execute()
    task_id = prep.required_task_id
    if review.passed:
        if accept_task(task_id):  # not if a person cancelled it meanwhile
            ctx.bus.emit(TaskChanged(task_id, TaskStatus.DONE, prep.code,
                                     f"accepted by Thor: {round_summary(review.outcomes)}"))  # fmt: skip
        return
    status = reject_task(task_id, review, ctx.config, frm=[TaskStatus.VALIDATING])
    if status is None:
        return  # a person cancelled it meanwhile
    ctx.bus.emit(TaskChanged(task_id, status, prep.code,
                             f"rejected in round {prep.round}: {round_summary(review.outcomes)}"))  # fmt: skip


def conflict_review(
    ctx: EngineContext, prep: Prepared, review: Review, merged: gitops.MergeResult
) -> Review:
    """Thor passed the task but it no longer merges (a sibling merged first): gate 4 fails
    with the conflicting paths, recorded for the round like any other verdict."""
    evidence = (f"merge into the wave branch conflicts in: {', '.join(merged.conflicts) or merged.detail}. "
                "The next round starts from the current wave branch.")  # fmt: skip
    outcomes = [o for o in review.outcomes if o.gate != 4]
    outcomes.append(GateOutcome(4, "repo", "fail", evidence))
    outcomes.sort(key=lambda o: o.gate)
    record_task_gates(prep.required_task_id, prep.run_id, prep.round, outcomes)
    ctx.bus.journal("merge.conflict", f"{prep.code}: {evidence}", level="warning",
                    plan_id=ctx.plan_id, task_id=prep.task_id,
                    data={"paths": merged.conflicts, "round": prep.round})  # fmt: skip
    return make_review(outcomes, review.diff_stat)
