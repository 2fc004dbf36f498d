"""A plan's own branches and worktrees: made, reset, synced and removed only when ours.

Every step that could destroy work first checks :mod:`engine.ownership` (the plan's
namespace claim, the worktree's marker) and raises :class:`NotOwnedError` before
touching anything that another database or plan made (docs/worktrees.md). Paths are
checked against the worktree root first (:mod:`convergio_tui.safe_fs`): nothing is
deleted through a symlink or outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from convergio_tui import paths, safe_fs
from convergio_tui.engine import gitops, ownership
from convergio_tui.engine.gitops import NotOwnedError
from convergio_tui.engine.ownership import Owner
from convergio_tui.git import GitError, git


def _owned(action: Callable[..., object], *args: object, **kwargs: object) -> object:
    """Run an :mod:`ownership` step; a refusal becomes :class:`NotOwnedError`."""
    try:
        return action(*args, **kwargs)
    except ownership.NotOwned as exc:
        raise NotOwnedError(str(exc)) from exc


def claim_namespace(repo: Path, owner: Owner) -> None:
    """Claim ``convergio/<plan uid>/`` in ``repo`` for ``owner`` before its first branch
    (idempotent); :class:`NotOwnedError` when another database or plan holds it."""
    _owned(ownership.claim_namespace, gitops.common_dir(repo), owner)


def _head_branch(path: Path) -> str:
    return git(path, "symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()


def require_worktree(path: Path, owner: Owner, task: str, branch: str) -> str:
    """Check that the worktree at ``path`` is ``owner``'s for ``task`` before anything in
    it is touched; return the branch it has checked out.

    Ours: our marker, or no marker while on our task ``branch`` inside our claimed
    namespace (an engine killed before it wrote the marker, or a worktree made before
    markers existed; it is marked now). Else :class:`NotOwnedError`.
    """
    on = _head_branch(path)
    if ownership.judge(ownership.worktree_marker(path), owner, task) is True:
        return on
    adopt = on == branch and ownership.namespace_is_ours(gitops.common_dir(path), owner)
    _owned(ownership.require_worktree, path, owner, task, adopt=adopt,
           found_on=on or "a detached HEAD")  # fmt: skip
    return on


def ensure_branch(repo: Path, name: str, start: str, *, owner: Owner) -> str:
    """Create branch ``name`` (in ``owner``'s namespace, claimed first) at ``start`` unless
    it exists; return its commit. :class:`NotOwnedError` for any other name or a namespace
    another database or plan claimed."""
    if not name.startswith(f"convergio/{owner.plan}/"):
        raise NotOwnedError(f"{name} is not in this plan's namespace convergio/{owner.plan}/")
    claim_namespace(repo, owner)
    head = gitops.rev(repo, f"refs/heads/{name}")
    if head is not None:
        return head
    if gitops.rev(repo, start) is None:
        raise GitError(f"cannot create {name}: {start!r} is not a commit in {repo}")
    git(repo, "branch", name, start)
    return gitops.rev(repo, name) or ""


def ensure_worktree(repo: Path, path: Path, branch: str, start: str, *, root: Path,
                    owner: Owner, task: str) -> Path:  # fmt: skip
    """A worktree at ``path`` on ``branch`` (created from ``start`` if new) that ``owner``
    made for ``task``; idempotent. A new one is marked as ours right away.

    ``path`` must be strictly inside ``root`` with no symlink on the way, else
    :class:`UnsafeWorktreeError`; a worktree or directory there that is not ours raises
    :class:`NotOwnedError`. Either way before anything is touched.
    """
    gitops.safely(safe_fs.check_inside, path, root)
    if (path / ".git").exists():
        current = require_worktree(path, owner, task, branch)
        if current == branch:
            return path
        raise GitError(f"{path} is a worktree on {current or 'a detached HEAD'}, not {branch}")
    if path.is_dir() and not any(path.iterdir()):
        path.rmdir()  # an empty folder: nothing of anyone's is lost
    elif path.exists():
        raise NotOwnedError(
            f"{path} exists and is not a git worktree this Convergio database made; it is "
            "left untouched. Move or remove it to let the task start"
        )
    claim_namespace(repo, owner)
    with gitops.repo_lock(repo):
        _forget_missing(repo, path, owner, task, branch)
        paths.private_dir(path.parent)
        if gitops.rev(repo, f"refs/heads/{branch}") is not None:
            git(repo, "worktree", "add", str(path), branch)
        else:
            git(repo, "worktree", "add", "-b", branch, str(path), start)
        ownership.stamp_worktree(path, owner, task)
    return path


def _forget_missing(repo: Path, path: Path, owner: Owner, task: str, branch: str) -> None:
    """Drop the registration of a worktree whose folder is gone, if it is ours (git refuses
    to add a worktree at a path still registered). Only that one entry: a repository-wide
    ``worktree prune`` would also drop other databases' entries. Call with the repo lock."""
    common = gitops.common_dir(repo)
    admin = ownership.registered_admin(common, path)
    if admin is None:
        return
    _owned(ownership.require_registration, admin, common, owner, task, branch)
    git(repo, "worktree", "remove", "--force", str(path), check=False)


def reset_worktree(path: Path, round_no: int, *, owner: Owner, task: str, branch: str) -> None:
    """Throw away an interrupted round's work: uncommitted changes and its commit.
    Only in ``owner``'s worktree of ``task`` (else :class:`NotOwnedError`, untouched)."""
    require_worktree(path, owner, task, branch)
    gitops.in_tree(path, "reset", "-q", "--hard", "HEAD")
    gitops.in_tree(path, "clean", "-q", "-fd")
    subject = git(path, "log", "-1", "--format=%s", check=False).stdout.strip()
    if subject.startswith("convergio(") and subject.endswith(f"[round {round_no}]"):
        gitops.in_tree(path, "reset", "-q", "--hard", "HEAD~1")


def sync_task_branch(worktree: Path, wave_branch: str, *, owner: Owner, task: str,
                     branch: str) -> str:  # fmt: skip
    """Before a new round, bring the task branch up to its wave branch where that is safe.

    Already merged (a wave review sent it back): fast-forward to the wave branch. Would
    conflict with the wave branch (siblings changed the same lines): restart from the wave
    branch, since that work cannot merge anyway. Returns what was done ("" for nothing).
    Only in ``owner``'s worktree of ``task`` (else :class:`NotOwnedError`, untouched).
    """
    require_worktree(worktree, owner, task, branch)
    if gitops.is_merged(worktree, "HEAD", wave_branch):
        if gitops.rev(worktree, "HEAD") == gitops.rev(worktree, wave_branch):
            return ""
        gitops.in_tree(worktree, "merge", "-q", "--ff-only", wave_branch)
        return f"fast-forwarded to {wave_branch}"
    conflicts = gitops.conflicts_between(worktree, wave_branch, "HEAD")
    if conflicts:
        gitops.in_tree(worktree, "reset", "-q", "--hard", wave_branch)
        return f"restarted from {wave_branch}: its work conflicted in {', '.join(conflicts)}"
    return ""


def remove_worktree(repo: Path, path: Path, *, root: Path, owner: Owner, task: str,
                    branch: str) -> bool:  # fmt: skip
    """Remove ``owner``'s worktree of ``task`` (the branch stays for the record), and its
    plan directory when that is left empty; True when it was removed.

    A ``path`` not safely inside ``root`` raises :class:`UnsafeWorktreeError`; a worktree
    (or anything else) there that is not ours is left alone (False). Either way nothing
    of it is removed.
    """
    gitops.safely(safe_fs.check_inside, path, root)
    if path.is_symlink() or (path.exists() and not (path / ".git").exists()):
        return False
    if path.exists():
        try:
            require_worktree(path, owner, task, branch)
        except NotOwnedError:
            return False
    with gitops.repo_lock(repo):
        if not path.exists():
            try:
                _forget_missing(repo, path, owner, task, branch)
            except NotOwnedError:
                return False
        else:
            removed = git(repo, "worktree", "remove", "--force", str(path), check=False)
            if removed.returncode != 0:
                gitops.safely(safe_fs.safe_rmtree, path, root, ignore_errors=True)
                if not (path.exists() or path.is_symlink()):  # never through a symlink
                    git(repo, "worktree", "remove", "--force", str(path), check=False)
    safe_fs.remove_empty_dir(path.parent, root)
    return True


def clear_stale_locks(repo: Path, owner: Owner, worktrees: list[Path]) -> list[Path]:
    """Remove git lock files a killed engine left in this plan's worktrees and branches.

    Only our own: ref locks under ``refs/heads/convergio/<plan uid>/`` when that namespace
    is ours (claimed now if nobody holds it), and the private index and HEAD locks of
    those ``worktrees`` that are ``owner``'s (the folder name is the task code); never the
    main checkout's index. Call it only while holding the plan's runner lock (no live
    engine of the plan can own them).
    """
    candidates: list[Path] = []
    try:
        claim_namespace(repo, owner)
    except (NotOwnedError, GitError):
        pass  # someone else's refs, or no repository: nothing of ours to clear
    else:
        refs = gitops.common_dir(repo) / "refs" / "heads" / "convergio" / owner.plan
        if refs.is_dir() and not refs.is_symlink():
            candidates.extend(refs.rglob("*.lock"))
    for path in worktrees:
        admin = ownership.admin_dir(path)
        if admin is None:
            continue
        try:
            require_worktree(path, owner, path.name, gitops.task_branch_name(owner.plan, path.name))
        except GitError:
            continue
        candidates.extend(p for p in (admin / "index.lock", admin / "HEAD.lock") if p.exists())
    removed: list[Path] = []
    for lock in candidates:
        lock.unlink(missing_ok=True)
        removed.append(lock)
    return removed
