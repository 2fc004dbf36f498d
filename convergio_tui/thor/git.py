"""Read-only git queries Thor needs; none touches a checkout except ``temp_worktree``.

Every call goes through :func:`convergio_tui.git.git` (hardened: Thor reads what an agent
wrote, so no hook, fsmonitor, filter, textconv or external diff of that repository may
run), read-only where it only reads; a failure is a :class:`convergio_tui.git.GitError`.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui import safe_fs
from convergio_tui.git import GitError as GitError  # re-exported: Thor catches g.GitError
from convergio_tui.git import git as git  # re-exported: the gates call g.git
from convergio_tui.git import hardening, merge_tree
from convergio_tui.thor.shell import CommandClock

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass
class DiffInfo:
    """The changes between two refs: files by status and the lines each adds."""

    base: str
    head: str
    changed: dict[str, str] = field(default_factory=dict)  # path -> status letter (A/M/D/T)
    added: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # path -> (line, text)
    binary: set[str] = field(default_factory=set)

    @property
    def present(self) -> list[str]:
        """Changed paths that still exist at ``head`` (not deleted), sorted."""
        return sorted(p for p, s in self.changed.items() if s != "D")

    def added_line_count(self) -> int:
        """How many lines the diff adds in total."""
        return sum(len(v) for v in self.added.values())


def git_input(repo: Path, stdin: str, *args: str, clock: CommandClock | None = None) -> str:
    """Run hardened ``git -C repo args`` with ``stdin``; its stdout, whatever the exit code."""
    return git(repo, *args, input=stdin, read_only=True, check=False, clock=clock).stdout


def ref_exists(repo: Path, ref: str, clock: CommandClock | None = None) -> bool:
    """True when ``ref`` names a commit in ``repo``."""
    proc = git(
        repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", read_only=True,
        clock=clock, check=False,
    )  # fmt: skip
    return proc.returncode == 0


def _unquote(path: str) -> str:
    if path.startswith('"') and path.endswith('"'):
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return path


def diff_info(repo: Path, base: str, head: str, clock: CommandClock | None = None) -> DiffInfo:
    """Changes on ``head`` since it forked from ``base`` (``base...head``)."""
    info = DiffInfo(base, head)
    spec = f"{base}...{head}"
    status = git(
        repo, "diff", "--no-renames", "--name-status", "-z", spec, read_only=True, clock=clock
    ).stdout
    fields = status.split("\0")
    for i in range(0, len(fields) - 1, 2):
        if fields[i]:
            info.changed[fields[i + 1]] = fields[i][0]
    numstat = git(
        repo, "diff", "--no-renames", "--numstat", "-z", spec, read_only=True, clock=clock
    ).stdout
    for entry in numstat.split("\0"):
        parts = entry.split("\t")
        if len(parts) == 3 and parts[0] == "-" and parts[1] == "-":
            info.binary.add(parts[2])
    patch = git(
        repo, "diff", "--no-renames", "--no-color", "--no-ext-diff", "-U0", spec,
        read_only=True, clock=clock,
    ).stdout  # fmt: skip
    current: str | None = None
    line_no = 0
    for line in patch.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            current = None if target == "/dev/null" else _unquote(target).removeprefix("b/")
            continue
        if line.startswith("@@"):
            match = _HUNK.match(line)
            line_no = int(match.group(1)) if match else 0
            continue
        if current is not None and line.startswith("+"):
            info.added.setdefault(current, []).append((line_no, line[1:]))
            line_no += 1
    return info


def diff_stat(repo: Path, base: str, head: str, clock: CommandClock | None = None) -> str:
    """``git diff --stat base...head`` (empty when it cannot be computed)."""
    proc = git(
        repo, "diff", "--stat", "--no-color", f"{base}...{head}", read_only=True, clock=clock,
        check=False,
    )  # fmt: skip
    return proc.stdout.rstrip() if proc.returncode == 0 else ""


def merge_conflicts(
    repo: Path, into: str, branch: str, clock: CommandClock | None = None
) -> list[str] | None:
    """Paths that conflict when merging ``branch`` into ``into``; ``[]`` when clean.

    Uses :func:`convergio_tui.git.merge_tree`, so no checkout is touched. ``None`` when
    git cannot tell (an error other than a conflict).
    """
    merged = merge_tree(repo, into, branch, clock=clock)
    if merged.clean or merged.conflicts:
        return merged.conflicts
    return None


def current_branch(worktree: Path, clock: CommandClock | None = None) -> str | None:
    """The branch checked out in ``worktree`` (``None`` when detached or not a repo)."""
    proc = git(
        worktree, "symbolic-ref", "--quiet", "--short", "HEAD", read_only=True, clock=clock,
        check=False,
    )  # fmt: skip
    return (proc.stdout.strip() or None) if proc.returncode == 0 else None


def dirty_paths(
    worktree: Path, clock: CommandClock | None = None, *, untracked: bool = True
) -> list[str]:
    """Uncommitted (staged, unstaged and, with ``untracked``, untracked but not ignored)
    paths in ``worktree``."""
    proc = git(
        worktree, "status", "--porcelain", "-z",
        "--untracked-files=all" if untracked else "--untracked-files=no", read_only=True,
        clock=clock, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        return []
    return [entry[3:] for entry in proc.stdout.split("\0") if len(entry) > 3]


def commits(
    repo: Path, base: str, head: str, clock: CommandClock | None = None
) -> list[tuple[str, str, list[str]]]:
    """Non-merge commits in ``base..head``, oldest first: (short sha, subject, paths)."""
    out = git(
        repo, "log", "--reverse", "--no-merges", "--no-renames", "--format=%x1e%h%x1f%s",
        "--name-only", f"{base}..{head}", read_only=True, clock=clock,
    ).stdout  # fmt: skip
    result = []
    for record in out.split("\x1e"):
        if not record.strip():
            continue
        head_line, _, rest = record.partition("\n")
        sha, _, subject = head_line.partition("\x1f")
        paths = [p for p in rest.splitlines() if p.strip()]
        result.append((sha, subject, paths))
    return result


def blob_text(repo: Path, ref: str, path: str, clock: CommandClock | None = None) -> str | None:
    """The content of ``path`` at ``ref`` (``None`` when absent)."""
    proc = git(repo, "show", f"{ref}:{path}", read_only=True, clock=clock, check=False)
    return proc.stdout if proc.returncode == 0 else None


def blob_sizes(
    repo: Path, ref: str, paths: list[str], clock: CommandClock | None = None
) -> dict[str, int]:
    """Sizes in bytes of ``paths`` at ``ref`` (one ``cat-file --batch-check`` call)."""
    if not paths:
        return {}
    proc = git(
        repo, "cat-file", "--batch-check=%(objectsize)", read_only=True, check=False,
        input="".join(f"{ref}:{p}\n" for p in paths), clock=clock,
    )  # fmt: skip
    sizes: dict[str, int] = {}
    for path, line in zip(paths, proc.stdout.splitlines(), strict=False):
        if line.strip().isdigit():
            sizes[path] = int(line.strip())
    return sizes


@contextmanager
def temp_worktree(repo: Path, ref: str, clock: CommandClock | None = None) -> Iterator[Path]:
    """Check ``ref`` out (detached) in a throw-away worktree; removed on exit.

    Gates run commands in it, so on exit its folder is deleted only while it is still the
    private directory made here, not a symlink someone put in its place
    (:class:`~convergio_tui.safe_fs.UnsafePathError` then, and nothing is deleted).
    """
    temp_root = Path(tempfile.gettempdir())
    parent = Path(tempfile.mkdtemp(prefix="convergio-thor-", dir=temp_root))
    path = parent / "wt"
    git(repo, "worktree", "add", "--detach", "--quiet", str(path), ref, clock=clock)
    try:
        yield path
    finally:
        try:
            safe_fs.check_inside(path, temp_root)  # before git deletes anything either
            git(repo, "worktree", "remove", "--force", str(path), clock=clock, check=False)
            safe_fs.safe_rmtree(parent, temp_root, ignore_errors=True)
        finally:
            git(repo, "worktree", "prune", clock=clock, check=False)


def blob_texts(
    repo: Path, ref: str, paths: list[str], clock: CommandClock | None = None
) -> dict[str, str]:
    """Contents of ``paths`` at ``ref`` in one ``cat-file --batch`` call (absent ones left out)."""
    if not paths:
        return {}
    # Bytes, not text: a blob's size is in bytes, so the stream is cut before decoding.
    started = time.monotonic()
    proc = hardening.run(
        repo, "cat-file", "--batch", read_only=True,
        input="".join(f"{ref}:{p}\n" for p in paths).encode(), capture_output=True,
    )  # fmt: skip
    if clock is not None:
        clock.add(time.monotonic() - started)
    out, pos, texts = proc.stdout, 0, {}
    for path in paths:
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # "<ref> missing", or a tree/submodule
        size = int(header[2])
        texts[path] = out[pos : pos + size].decode("utf-8", errors="replace")
        pos += size + 1
    return texts
