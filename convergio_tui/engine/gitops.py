"""Git plumbing for task isolation (docs/worktrees.md): names, hardened git, commits and merges.

Branches: wave ``convergio/<uid>/wave-<seq>`` from the previous wave's branch (wave 1:
the project's base branch); task ``convergio/<uid>/<code>/work`` from its wave branch,
checked out in ``<worktree_root>/<uid>/<code>``, where ``<uid>`` is the plan's uid (unique
across databases, docs/worktrees.md). Making, resetting and removing them, only when they
are ours, is :mod:`engine.worktrees`. Merges into a wave branch never touch a checkout:
``git merge-tree --write-tree`` computes the result (and the conflicting paths), then
``commit-tree`` + ``update-ref`` with the old value move the branch atomically.

Every git call goes through :func:`convergio_tui.git.git` (hardened: no hook, fsmonitor,
filter...; a failure is a :class:`convergio_tui.git.GitError`), and nothing is deleted
outside the worktree root (:mod:`convergio_tui.safe_fs`).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui import safe_fs
from convergio_tui.git import GitError as GitError  # re-exported: callers say gitops.GitError
from convergio_tui.git import git as git  # re-exported: callers say gitops.git
from convergio_tui.git import merge_tree

# Merges into one repository's wave branches, and worktree add/remove/prune, are
# serialised in-process per repository: a `worktree prune` or `add` running beside another
# `add` reads its half-written admin folder and fails ("failed to read .../commondir").
# update-ref with the old value guards against another process moving a branch meanwhile.
_repo_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class UnsafeWorktreeError(GitError):
    """A worktree path is a symlink, is reached through one, or is outside the root."""


class NotOwnedError(GitError):
    """A worktree or branch namespace another database or plan made; nothing was touched."""


@dataclass(frozen=True)
class MergeResult:
    """A merge of a task branch into its wave branch."""

    ok: bool
    commit: str | None = None
    conflicts: list[str] = field(default_factory=list)
    detail: str = ""


def wave_branch_name(plan_uid: str, seq: int) -> str:
    """``convergio/<plan uid>/wave-<seq>``."""
    return f"convergio/{plan_uid}/wave-{seq}"


def task_branch_name(plan_uid: str, code: str) -> str:
    """``convergio/<plan uid>/<code>/work``: each task's ref alone in its own folder, so
    the sandbox can let an agent move exactly that ref and no other."""
    return f"convergio/{plan_uid}/{code}/work"


def common_dir(cwd: Path) -> Path:
    """The git common directory of the repository (or worktree) at ``cwd``."""
    out = git(cwd, "rev-parse", "--path-format=absolute", "--git-common-dir").stdout
    return Path(out.strip())


def rev(repo: Path, ref: str) -> str | None:
    """The commit ``ref`` names, or None."""
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def in_tree(path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """git in the task worktree ``path`` with the work tree pinned to it: a ``core.worktree``
    in the worktree's config (an agent can write it) would otherwise aim ``reset --hard``
    and ``clean -fd`` at another directory."""
    return git(path, f"--work-tree={os.path.abspath(path)}", *args, check=check)


def safely(action: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Run a :mod:`safe_fs` check or deletion; a refusal becomes :class:`UnsafeWorktreeError`."""
    try:
        action(*args, **kwargs)
    except safe_fs.UnsafePathError as exc:
        raise UnsafeWorktreeError(str(exc)) from exc


def commit_all(path: Path, message: str) -> str | None:
    """Commit every change in the worktree; the new commit, or None when nothing changed."""
    in_tree(path, "add", "-A")
    if in_tree(path, "diff", "--cached", "--quiet", check=False).returncode == 0:
        return None
    in_tree(path, "commit", "-q", "--no-verify", "-m", message)
    return rev(path, "HEAD")


def changed_paths(repo: Path, base: str, head: str) -> list[str]:
    """Paths that differ between ``base`` and ``head``."""
    out = git(repo, "diff", "--name-only", f"{base}...{head}", check=False).stdout
    return [line for line in out.splitlines() if line]


def is_merged(repo: Path, source: str, target: str) -> bool:
    """True when ``source`` is already contained in ``target``."""
    if rev(repo, source) is None or rev(repo, target) is None:
        return False
    return git(repo, "merge-base", "--is-ancestor", source, target, check=False).returncode == 0


def repo_lock(repo: Path) -> threading.Lock:
    """The in-process lock serialising merges and worktree add/remove in ``repo``."""
    key = str(repo.resolve())
    with _locks_guard:
        return _repo_locks.setdefault(key, threading.Lock())


def merge_branch(repo: Path, target: str, source: str, message: str) -> MergeResult:
    """Merge ``source`` into branch ``target`` with a merge commit (``--no-ff``) without a
    checkout; a conflict leaves ``target`` untouched and lists the conflicting paths."""
    with repo_lock(repo):
        old = rev(repo, f"refs/heads/{target}")
        head = rev(repo, source)
        if old is None or head is None:
            return MergeResult(False, detail=f"missing branch: {target if old is None else source}")
        if git(repo, "merge-base", "--is-ancestor", head, old, check=False).returncode == 0:
            return MergeResult(True, old, detail="already merged")
        merged = merge_tree(repo, old, head)
        if merged.conflicts:
            return MergeResult(
                False,
                conflicts=merged.conflicts,
                detail="conflict in " + ", ".join(merged.conflicts),
            )
        if merged.tree is None:
            return MergeResult(False, detail=f"merge-tree failed: {merged.error}")
        commit = git(
            repo, "commit-tree", merged.tree, "-p", old, "-p", head, "-m", message
        ).stdout.strip()
        git(repo, "update-ref", f"refs/heads/{target}", commit, old)
    return MergeResult(True, commit)


def conflicts_between(repo: Path, target: str, source: str) -> list[str]:
    """Paths that would conflict when merging ``source`` into ``target`` (nothing written)."""
    return merge_tree(repo, target, source).conflicts
