"""``resolve``: a person fixed an escalated task by hand in its kept worktree.

The way forward when an approved task conflicts with its wave branch (engine/approved.py),
and for any escalation a person would rather finish themselves: merge the wave branch into
the task's worktree, fix, commit, then ``convergio escalations resolve ID``. The decision
is an approval of the task branch as it now is, taken only when that branch merges
cleanly and no tracked file of the worktree holds uncommitted changes (they would be
lost). Untracked files are not looked at: a test run leaves caches behind.
"""

from __future__ import annotations

from pathlib import Path

from convergio_tui.store.models import Escalation, Task
from convergio_tui.thor import git as g


def resolution_problem(escalation_id: int) -> str | None:
    """Why escalation ``escalation_id`` cannot be resolved by hand now, or None.

    Reads git only (no write): the worktree must exist and be clean, and the task branch
    must merge into its wave branch without a conflict.
    """
    esc = Escalation.get_or_none(Escalation.id == escalation_id)
    if esc is None or esc.task_id is None:
        return None  # decide() reports an unknown id; a wave's resolve checks nothing
    task: Task = esc.task
    wave_branch = str(task.wave.branch or "")
    if not task.branch or not wave_branch:
        return f"task {task.code} has no branch to merge (worktrees are off): approve or retry it"
    repo = Path(task.plan.project.path)
    if not task.worktree or not Path(task.worktree).is_dir():
        return f"task {task.code} has no worktree left to resolve in: retry it instead"
    try:
        # Tracked files only: a test run's caches are no part of a resolution.
        dirty = g.dirty_paths(Path(task.worktree), untracked=False)
        conflicts = g.merge_conflicts(repo, wave_branch, str(task.branch))
    except g.GitError as exc:
        return f"cannot read task {task.code}'s branch: {exc}"
    if dirty:
        shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
        return f"{task.worktree} has uncommitted changes ({shown}): commit them first"
    if conflicts is None:
        return f"git cannot tell whether {task.branch} merges into {wave_branch}"
    if conflicts:
        return (
            f"{task.branch} still conflicts with {wave_branch} in {', '.join(conflicts)}: in "
            f"{task.worktree} run `git merge {wave_branch}`, fix those files and commit"
        )
    return None
