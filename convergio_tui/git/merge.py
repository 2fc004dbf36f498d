"""Merging two commits in memory: ``git merge-tree --write-tree``, and reading its answer.

The engine merges a task branch into its wave branch with it (then ``commit-tree`` and
``update-ref``), and asks it whether a task still merges cleanly; Thor's gate 4 asks it
whether the work conflicts with its base. Nothing is written to any branch, index or
checkout (the merged tree's objects are written to the object store, which is harmless).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui.git.runner import Clock, git


@dataclass(frozen=True)
class MergeTree:
    """What ``git merge-tree`` found: exactly one of a clean tree, conflicts or an error."""

    tree: str | None = None  # the merged tree's id, when the merge is clean
    conflicts: list[str] = field(default_factory=list)  # conflicting paths, sorted
    error: str = ""  # git's message when it could not tell (neither clean nor a conflict)

    @property
    def clean(self) -> bool:
        """True when the merge has no conflict (``tree`` is then the result)."""
        return self.tree is not None


def parse_merge_tree(returncode: int, stdout: str, stderr: str = "") -> MergeTree:
    """Read ``git merge-tree --write-tree --name-only --no-messages -z`` output.

    Exit 0: ``<tree>\\0``. Exit 1: ``<tree>\\0<path>\\0<path>\\0...``, one entry per
    conflicting path, exactly as stored (``-z``: never quoted). Any other exit, or no tree
    id on a clean exit, means git could not tell: ``error`` carries its message.
    """
    fields = stdout.split("\0")
    if returncode == 1:
        paths: set[str] = set()
        for entry in fields[1:]:
            if not entry:
                break  # the empty field ends the conflicted-file section
            paths.add(entry)
        if paths:
            return MergeTree(conflicts=sorted(paths))
    elif returncode == 0 and fields[0].strip():
        return MergeTree(tree=fields[0].strip())
    return MergeTree(error=stderr.strip() or f"git exited with status {returncode}")


def merge_tree(repo: Path, target: str, source: str, *, clock: Clock | None = None) -> MergeTree:
    """Merge ``source`` into ``target`` in memory and say how it went (see :class:`MergeTree`)."""
    proc = git(
        repo, "merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", target, source,
        check=False, clock=clock,
    )  # fmt: skip
    return parse_merge_tree(proc.returncode, proc.stdout, proc.stderr)
