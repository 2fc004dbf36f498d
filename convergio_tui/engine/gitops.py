"""Git plumbing for task isolation (SPEC §7): wave branches, task worktrees, merges.

Branches: wave ``convergio/<plan>/wave-<seq>`` from the previous wave's branch (wave 1:
the project's base branch); task ``convergio/<plan>/<code>`` from its wave branch, checked
out in ``<worktree_root>/<plan>/<code>``. Merges into a wave branch never touch a checkout:
``git merge-tree --write-tree`` computes the result (and the conflicting paths), then
``commit-tree`` + ``update-ref`` with the old value move the branch atomically.

Every git call is hardened (:mod:`convergio_tui.gitsafe`: no hook, fsmonitor, filter...),
and nothing is deleted outside the worktree root (:mod:`convergio_tui.safe_fs`).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui import gitsafe, paths, safe_fs

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Convergio", "GIT_AUTHOR_EMAIL": "convergio@localhost",
    "GIT_COMMITTER_NAME": "Convergio", "GIT_COMMITTER_EMAIL": "convergio@localhost",
}  # fmt: skip
# Merges into one repository's wave branches, and worktree add/remove/prune, are
# serialised in-process per repository: a `worktree prune` or `add` running beside another
# `add` reads its half-written admin folder and fails ("failed to read .../commondir").
# update-ref with the old value guards against another process moving a branch meanwhile.
_repo_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class GitError(RuntimeError):
    """A git command failed; the message carries its stderr."""


class UnsafeWorktreeError(GitError):
    """A worktree path is a symlink, is reached through one, or is outside the root."""


@dataclass(frozen=True)
class MergeResult:
    """A merge of a task branch into its wave branch."""

    ok: bool
    commit: str | None = None
    conflicts: list[str] = field(default_factory=list)
    detail: str = ""


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run hardened git in ``cwd``; raise :class:`GitError` on failure if ``check``."""
    proc = gitsafe.run(cwd, *args, extra_env=_IDENTITY, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise GitError(
            f"git {' '.join(args)} failed in {cwd}: {proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc


def wave_branch_name(plan_id: int, seq: int) -> str:
    """``convergio/<plan>/wave-<seq>``."""
    return f"convergio/{plan_id}/wave-{seq}"


def task_branch_name(plan_id: int, code: str) -> str:
    """``convergio/<plan>/<code>/work``: each task's ref alone in its own folder, so the
    sandbox can let an agent move exactly that ref and no other."""
    return f"convergio/{plan_id}/{code}/work"


def rev(repo: Path, ref: str) -> str | None:
    """The commit ``ref`` names, or None."""
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def ensure_branch(repo: Path, name: str, start: str) -> str:
    """Create branch ``name`` at ``start`` unless it exists; return its commit."""
    head = rev(repo, f"refs/heads/{name}")
    if head is not None:
        return head
    if rev(repo, start) is None:
        raise GitError(f"cannot create {name}: {start!r} is not a commit in {repo}")
    git(repo, "branch", name, start)
    return rev(repo, name) or ""


def _in_tree(path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """git in the task worktree ``path`` with the work tree pinned to it: a ``core.worktree``
    in the worktree's config (an agent can write it) would otherwise aim ``reset --hard``
    and ``clean -fd`` at another directory."""
    return git(path, f"--work-tree={os.path.abspath(path)}", *args, check=check)


def _safely(action: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Run a :mod:`safe_fs` check or deletion; a refusal becomes :class:`UnsafeWorktreeError`."""
    try:
        action(*args, **kwargs)
    except safe_fs.UnsafePathError as exc:
        raise UnsafeWorktreeError(str(exc)) from exc


def ensure_worktree(repo: Path, path: Path, branch: str, start: str, *, root: Path) -> Path:
    """A worktree at ``path`` on ``branch`` (created from ``start`` if new); idempotent.

    ``path`` must be strictly inside ``root`` with no symlink on the way, else
    :class:`UnsafeWorktreeError` before anything is touched.
    """
    _safely(safe_fs.check_inside, path, root)
    if (path / ".git").exists():
        current = git(path, "symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
        if current == branch:
            return path
        raise GitError(f"{path} is a worktree on {current or 'a detached HEAD'}, not {branch}")
    if path.exists() or path.is_symlink():
        _safely(safe_fs.safe_rmtree, path, root)  # a half-made directory from an interrupted run
    with _lock_for(repo):
        git(repo, "worktree", "prune")
        paths.private_dir(path.parent)
        if rev(repo, f"refs/heads/{branch}") is not None:
            git(repo, "worktree", "add", str(path), branch)
        else:
            git(repo, "worktree", "add", "-b", branch, str(path), start)
    return path


def reset_worktree(path: Path, round_no: int) -> None:
    """Throw away an interrupted round's work: uncommitted changes and its commit."""
    _in_tree(path, "reset", "-q", "--hard", "HEAD")
    _in_tree(path, "clean", "-q", "-fd")
    subject = git(path, "log", "-1", "--format=%s", check=False).stdout.strip()
    if subject.startswith("convergio(") and subject.endswith(f"[round {round_no}]"):
        _in_tree(path, "reset", "-q", "--hard", "HEAD~1")


def commit_all(path: Path, message: str) -> str | None:
    """Commit every change in the worktree; the new commit, or None when nothing changed."""
    _in_tree(path, "add", "-A")
    if _in_tree(path, "diff", "--cached", "--quiet", check=False).returncode == 0:
        return None
    _in_tree(path, "commit", "-q", "--no-verify", "-m", message)
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


def _lock_for(repo: Path) -> threading.Lock:
    key = str(repo.resolve())
    with _locks_guard:
        return _repo_locks.setdefault(key, threading.Lock())


def merge_branch(repo: Path, target: str, source: str, message: str) -> MergeResult:
    """Merge ``source`` into branch ``target`` with a merge commit (``--no-ff``) without a
    checkout; a conflict leaves ``target`` untouched and lists the conflicting paths."""
    with _lock_for(repo):
        old = rev(repo, f"refs/heads/{target}")
        head = rev(repo, source)
        if old is None or head is None:
            return MergeResult(False, detail=f"missing branch: {target if old is None else source}")
        if git(repo, "merge-base", "--is-ancestor", head, old, check=False).returncode == 0:
            return MergeResult(True, old, detail="already merged")
        proc, tree, conflicts = _merge_tree(repo, old, head)
        if conflicts:
            return MergeResult(
                False, conflicts=conflicts, detail="conflict in " + ", ".join(conflicts)
            )
        if tree is None:
            return MergeResult(False, detail=f"merge-tree failed: {proc.stderr.strip()}")
        commit = git(repo, "commit-tree", tree, "-p", old, "-p", head, "-m", message).stdout.strip()
        git(repo, "update-ref", f"refs/heads/{target}", commit, old)
    return MergeResult(True, commit)


def remove_worktree(repo: Path, path: Path, *, root: Path) -> None:
    """Remove a task worktree (the branch stays for the record), and its plan directory
    when that is left empty. A ``path`` that is not safely inside ``root`` raises
    :class:`UnsafeWorktreeError` and nothing is removed."""
    _safely(safe_fs.check_inside, path, root)
    with _lock_for(repo):
        if git(repo, "worktree", "remove", "--force", str(path), check=False).returncode != 0:
            _safely(safe_fs.safe_rmtree, path, root, ignore_errors=True)
            git(repo, "worktree", "prune", check=False)
    safe_fs.remove_empty_dir(path.parent, root)


def _merge_tree(
    repo: Path, target: str, source: str
) -> tuple[subprocess.CompletedProcess[str], str | None, list[str]]:
    """Merge in memory (``git merge-tree``): the process, the merged tree id when clean,
    and the conflicting paths when not. Nothing is written to any branch or checkout."""
    proc = git(
        repo, "merge-tree", "--write-tree", "--name-only", "--no-messages", target, source,
        check=False,
    )  # fmt: skip
    lines = proc.stdout.splitlines()
    if proc.returncode == 1:
        return proc, None, sorted({line for line in lines[1:] if line})
    tree = lines[0] if proc.returncode == 0 and lines else None
    return proc, tree, []


def conflicts_between(repo: Path, target: str, source: str) -> list[str]:
    """Paths that would conflict when merging ``source`` into ``target`` (nothing written)."""
    return _merge_tree(repo, target, source)[2]


def sync_task_branch(worktree: Path, wave_branch: str) -> str:
    """Before a new round, bring the task branch up to its wave branch where that is safe.

    Already merged (a wave review sent it back): fast-forward to the wave branch. Would
    conflict with the wave branch (siblings changed the same lines): restart from the wave
    branch, since that work cannot merge anyway. Returns what was done ("" for nothing).
    """
    if is_merged(worktree, "HEAD", wave_branch):
        if rev(worktree, "HEAD") == rev(worktree, wave_branch):
            return ""
        _in_tree(worktree, "merge", "-q", "--ff-only", wave_branch)
        return f"fast-forwarded to {wave_branch}"
    conflicts = conflicts_between(worktree, wave_branch, "HEAD")
    if conflicts:
        _in_tree(worktree, "reset", "-q", "--hard", wave_branch)
        return f"restarted from {wave_branch}: its work conflicted in {', '.join(conflicts)}"
    return ""


def clear_stale_locks(repo: Path, plan_id: int, worktrees: list[Path]) -> list[Path]:
    """Remove git lock files a killed engine left in this plan's worktrees and branches.

    Only our own: the worktrees' private index locks and ref locks under
    ``refs/heads/convergio/<plan>/``; never the main checkout's index. Call it only while
    holding the plan's runner lock (no live engine of the plan can own them).
    """
    removed: list[Path] = []
    common = git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir", check=False)
    candidates: list[Path] = []
    if common.returncode == 0 and common.stdout.strip():
        refs = Path(common.stdout.strip()) / "refs" / "heads" / "convergio" / str(plan_id)
        if refs.is_dir():
            candidates.extend(refs.rglob("*.lock"))
    for path in worktrees:
        marker = path / ".git"
        if marker.is_file() and marker.read_text().startswith("gitdir:"):
            gitdir = Path(marker.read_text().split(":", 1)[1].strip())
            candidates.extend(
                p for p in (gitdir / "index.lock", gitdir / "HEAD.lock") if p.exists()
            )
    for lock in candidates:
        lock.unlink(missing_ok=True)
        removed.append(lock)
    return removed
