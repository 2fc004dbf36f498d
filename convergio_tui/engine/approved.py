"""Merge the work a person approved into its wave branch; a conflict is not a dead end.

An approved task's branch is merged when its wave settles. When it no longer merges (a
sibling changed the same lines since), the task goes back to its person as a new
escalation with the conflicting paths: ``retry`` re-runs it on the current wave branch
with the conflict as evidence (the next round starts from that branch), or the person
resolves it by hand in the kept worktree and runs ``convergio escalations resolve ID``.
Either way the plan can finish (docs/escalations.md).
"""

from __future__ import annotations

from pathlib import Path

from convergio_tui.engine import gitops, worktrees
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.events import TaskChanged
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Event, Task, Wave
from convergio_tui.store.states import TaskStatus
from convergio_tui.store.transitions import move_row
from convergio_tui.thor.escalations import open_escalation
from convergio_tui.thor.feedback import rejection_section


def merge_approved(ctx: EngineContext, wave: Wave, tasks: list[Task]) -> list[str]:
    """Merge the tasks a person approved that are not in the wave branch yet; return the
    codes of those that conflicted (each escalated again, waiting for its person)."""
    if not ctx.worktrees or not wave.branch:
        return []
    conflicted: list[str] = []
    for task in tasks:
        if task.status != TaskStatus.DONE or not task.branch:
            continue
        if gitops.rev(ctx.repo, f"refs/heads/{task.branch}") is None:
            continue
        if not gitops.is_merged(ctx.repo, task.branch, wave.branch):
            result = gitops.merge_branch(ctx.repo, wave.branch, task.branch,
                                         f"Merge {task.code} (approved) into {wave.branch}")  # fmt: skip
            if not result.ok:
                if escalate_conflict(ctx, task, str(wave.branch), result.conflicts, result.detail):
                    conflicted.append(str(task.code))
                continue
        if task.worktree:
            worktrees.remove_worktree(ctx.repo, Path(task.worktree), root=ctx.worktree_root,
                                      owner=ctx.owner, task=task.code, branch=task.branch)  # fmt: skip
            Task.update(worktree=None).where(Task.id == task.id).execute()
    return conflicted


def conflict_text(wave_branch: str, paths: list[str], detail: str) -> str:
    """The conflict in a sentence: the escalation's reason."""
    return (
        f"no longer merges into {wave_branch}: conflict in {', '.join(paths) or detail} "
        "(work merged there since changed the same lines)"
    )


def conflict_evidence(wave_branch: str, paths: list[str], detail: str) -> str:
    """What the next round's agent reads about the conflict."""
    return (
        f"the approved work {conflict_text(wave_branch, paths, detail)}. Redo the change on "
        f"top of the current {wave_branch}, keeping what it already has."
    )


def escalate_conflict(
    ctx: EngineContext, task: Task, wave_branch: str, paths: list[str], detail: str
) -> bool:
    """Send an approved task that conflicts back to its person: a new escalation with the
    conflict, and the evidence appended to its prompt for a retry. False when the task
    changed meanwhile (nothing written)."""
    evidence = conflict_evidence(wave_branch, paths, detail)
    with immediate():
        fresh = Task.get_by_id(task.id)
        prompt = f"{fresh.prompt}{rejection_section(int(fresh.round), ['repo'], evidence, 'wave')}"
        if not move_row(fresh, TaskStatus.ESCALATED, frm=[TaskStatus.DONE], prompt=prompt,
                        validated_by=None, validated_at=None):  # fmt: skip
            return False
        resolve = (f"resolve it by hand in {fresh.worktree} (merge {wave_branch} there and "
                   "commit), then `convergio escalations resolve ID`") if fresh.worktree else ""  # fmt: skip
        reason = f"approved, but {conflict_text(wave_branch, paths, detail)}"
        esc = open_escalation(fresh, reason=reason, conflict={
            "wave_branch": wave_branch, "paths": paths, "worktree": fresh.worktree,
            "ways_forward": ["retry: re-run it on the current wave branch", *([resolve] if resolve else [])],
        })  # fmt: skip
        Event.create(
            level="warning", kind="merge.conflict", plan=fresh.plan_id, task=fresh.id,
            message=f"{fresh.code} was approved but conflicts with {wave_branch} in "
            f"{', '.join(paths) or detail}: escalation {esc.id} waits for a person "
            "(retry, or resolve by hand)",
            data={"escalation": int(esc.id), "paths": paths},
        )  # fmt: skip
    ctx.bus.emit(TaskChanged(int(task.id), TaskStatus.ESCALATED, str(task.code),
                             f"approved work conflicts with {wave_branch}"))  # fmt: skip
    return True
