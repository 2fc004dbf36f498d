"""Worktree safety pre-flight (docs/worktrees.md, docs/cli.md): may a task run in this directory?

Every check is reported by name with its detail, passing or not, so a refusal always
says why. The executor calls :func:`check_worktree` before each dispatch and refuses
a worktree whose report is not ``ok``. :func:`claim_worktree` records the pid of the
task holding a worktree in the worktree's private git directory (never in the tree
itself, so it cannot dirty ``git status``).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from convergio_tui import paths
from convergio_tui.git import git

CLAIM_FILE = "convergio-task.pid"
CHECK_NAMES = (
    "git_repo",
    "linked_worktree",
    "branch",
    "not_in_use",
    "clean",
    "up_to_date",
    "allowed_root",
)


@dataclass(frozen=True)
class Check:
    """One named check and what it found."""

    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        """The JSON shape in docs/cli.md: ``{"name","ok","detail"}``."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class WorktreeReport:
    """All checks of one worktree; ``ok`` only when every check passed."""

    ok: bool
    checks: list[Check] = field(default_factory=list)

    def failed(self) -> list[Check]:
        """The checks that did not pass."""
        return [c for c in self.checks if not c.ok]

    def as_dict(self) -> dict[str, object]:
        """The JSON shape in docs/cli.md: ``{"ok": bool, "checks": [...]}``."""
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


# Every query is read-only: the worktree may be in use by the task it is checked for.
_TIMEOUT = 30.0


def _git_out(path: Path, *args: str) -> str | None:
    """Stripped stdout of a git command, or None when it fails."""
    proc = git(path, *args, read_only=True, check=False, timeout=_TIMEOUT)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _git_dir(path: Path) -> Path | None:
    out = _git_out(path, "rev-parse", "--path-format=absolute", "--git-dir")
    return Path(out) if out else None


def claim_worktree(path: Path, pid: int | None = None) -> None:
    """Record that the live process ``pid`` (default: this one) now holds ``path``."""
    git_dir = _git_dir(path)
    if git_dir is None:
        raise ValueError(f"{path} is not inside a git repository")
    (git_dir / CLAIM_FILE).write_text(f"{pid if pid is not None else os.getpid()}\n")


def release_worktree(path: Path) -> None:
    """Drop the claim on ``path`` (no error when there is none)."""
    git_dir = _git_dir(path)
    if git_dir is not None:
        (git_dir / CLAIM_FILE).unlink(missing_ok=True)


def _holder(git_dir: Path) -> tuple[int | None, bool]:
    """The pid claiming the worktree and whether that process is alive."""
    try:
        pid = int((git_dir / CLAIM_FILE).read_text().strip())
    except (OSError, ValueError):
        return None, False
    return pid, psutil.pid_exists(pid)


def _status_paths(path: Path) -> list[str] | None:
    """Paths with changes (staged, unstaged, untracked), relative to the worktree."""
    proc = git(
        path, "status", "--porcelain=v1", "-z", "--untracked-files=all", read_only=True,
        check=False, timeout=_TIMEOUT,
    )  # fmt: skip
    if proc.returncode != 0:
        return None
    fields = proc.stdout.split("\0")
    changed: list[str] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        changed.append(entry[3:])
        if entry[0] in "RC":  # renames and copies carry the source path next
            changed.append(fields[i])
            i += 1
    return changed


def _allowed(rel: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.strip("/")
        if rel == pattern or rel.startswith(pattern + "/") or fnmatch.fnmatchcase(rel, pattern):
            return True
    return False


def _summary(items: list[str], limit: int = 5) -> str:
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def check_worktree(
    path: Path,
    *,
    protected_branch: str = "main",
    allowed_root: Path | None = None,
    max_behind: int = 50,
    base_ref: str | None = None,
    allowed_paths: Iterable[str] = (),
    busy_paths: Iterable[Path] = (),
) -> WorktreeReport:
    """Run every pre-flight check on ``path``; see the module docstring."""
    path = Path(path)
    resolved = path.resolve()
    checks: list[Check] = []
    top = _git_out(path, "rev-parse", "--show-toplevel") if path.is_dir() else None
    if top is None:
        why = "no such directory" if not path.is_dir() else "not inside a git work tree"
        checks.append(Check("git_repo", False, f"{path}: {why}"))
        skipped = "not checked: not a git work tree"
        checks.extend(Check(name, False, skipped) for name in CHECK_NAMES[1:-1])
    else:
        checks.append(Check("git_repo", True, f"inside the work tree {top}"))
        checks.append(_linked(path, Path(top), resolved))
        checks.append(_branch(path, protected_branch))
        checks.append(_in_use(path, resolved, busy_paths))
        checks.append(_clean(path, list(allowed_paths)))
        checks.append(_behind(path, base_ref, protected_branch, max_behind))
    checks.append(_inside_root(resolved, allowed_root))
    return WorktreeReport(ok=all(c.ok for c in checks), checks=checks)


def _linked(path: Path, top: Path, resolved: Path) -> Check:
    out = _git_out(path, "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir")
    if out is None or len(out.splitlines()) != 2:
        return Check("linked_worktree", False, "git could not name the git directories")
    git_dir, common = (Path(p).resolve() for p in out.splitlines())
    if git_dir == common:
        return Check("linked_worktree", False, f"{top} is the main checkout, not a linked worktree")
    if top.resolve() != resolved:
        return Check("linked_worktree", False, f"{path} is a subdirectory of worktree {top}")
    return Check("linked_worktree", True, f"linked worktree of {common}")


def _branch(path: Path, protected: str) -> Check:
    branch = _git_out(path, "symbolic-ref", "-q", "--short", "HEAD")
    if not branch:
        return Check("branch", False, "detached HEAD: a task must work on its own branch")
    if branch == protected:
        return Check("branch", False, f"on the protected branch {protected!r}")
    return Check("branch", True, f"on branch {branch!r} (protected: {protected!r})")


def _in_use(path: Path, resolved: Path, busy_paths: Iterable[Path]) -> Check:
    for busy in busy_paths:
        if Path(busy).resolve() == resolved:
            return Check("not_in_use", False, "another live task is running in this worktree")
    git_dir = _git_dir(path)
    pid, alive = _holder(git_dir) if git_dir else (None, False)
    if pid is not None and alive and pid != os.getpid():
        return Check("not_in_use", False, f"held by live process {pid} ({CLAIM_FILE})")
    if pid is not None and not alive:
        return Check("not_in_use", True, f"stale claim by process {pid}, which is gone")
    return Check("not_in_use", True, "no other live task holds it")


def _clean(path: Path, allowed: list[str]) -> Check:
    changed = _status_paths(path)
    if changed is None:
        return Check("clean", False, "git status failed")
    if not changed:
        return Check("clean", True, "no uncommitted changes")
    stray = sorted({p for p in changed if not _allowed(p, allowed)})
    if stray:
        return Check("clean", False, f"changes outside the task: {_summary(stray)}")
    return Check("clean", True, f"only the task's changes: {_summary(sorted(set(changed)))}")


def _behind(path: Path, base_ref: str | None, protected: str, max_behind: int) -> Check:
    base = base_ref or protected
    if _git_out(path, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}") is None:
        if base_ref:
            return Check("up_to_date", False, f"base {base_ref!r} is not a known commit")
        return Check("up_to_date", True, f"skipped: no base (branch {protected!r} not found)")
    count = _git_out(path, "rev-list", "--count", f"HEAD..{base}")
    if count is None:
        return Check("up_to_date", False, f"cannot compare HEAD with {base!r}")
    behind = int(count)
    if behind > max_behind:
        return Check("up_to_date", False, f"{behind} commits behind {base!r} (limit {max_behind})")
    return Check("up_to_date", True, f"{behind} commits behind {base!r} (limit {max_behind})")


def _inside_root(resolved: Path, allowed_root: Path | None) -> Check:
    root = (allowed_root or paths.worktrees_dir()).expanduser().resolve()
    if resolved != root and resolved.is_relative_to(root):
        return Check("allowed_root", True, f"inside {root}")
    return Check("allowed_root", False, f"{resolved} is outside the allowed root {root}")
