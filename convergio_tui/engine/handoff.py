"""The hand-off of a plan: where its result is and what the user does with it.

A plan's waves each merge into their own branch, ``convergio/<plan uid>/wave-N``, made
from the previous wave's branch (wave 1: the project's base branch), so the last wave
that passed Thor's wave review holds everything the plan did. The hand-off names that
branch, its diff stat against the base branch (``git diff --stat base...branch``: what a
merge would bring) and the commands to review and merge it. When the plan stopped before
its end, it says which waves passed so far. With ``execution.worktrees: false`` there is
no branch: the tasks wrote into the project's working tree.

Pure: the values and their text. :mod:`engine.handoff_read` reads git and the store,
and records the hand-off of a done plan as a ``plan.handoff`` journal event, which
``convergio run``, the headless demo and the dashboard all show.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

MAX_FILE_LINES = 20  # per-file lines of the diff stat shown; the summary counts them all
_SUMMARY = re.compile(
    r"(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?"
)


@dataclass(frozen=True)
class DiffStat:
    """``git diff --stat`` read: one line per file (at most :data:`MAX_FILE_LINES`) and
    the summary line with its three counts."""

    summary: str = ""  # "2 files changed, 3 insertions(+)"; "" when nothing changed
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0
    lines: tuple[str, ...] = ()  # " calc.py | 3 ++-"
    more: int = 0  # files changed but not listed in ``lines``


def parse_stat(text: str, max_lines: int = MAX_FILE_LINES) -> DiffStat:
    """Read the output of ``git diff --stat``: file lines, then the summary line."""
    rows = [line.rstrip() for line in text.splitlines() if line.strip()]
    if not rows:
        return DiffStat()
    match = _SUMMARY.search(rows[-1])
    if match is None:  # not a stat: keep what there is rather than lose it
        return DiffStat(lines=tuple(rows[:max_lines]), more=max(0, len(rows) - max_lines))
    files, plus, minus = (int(g) if g else 0 for g in match.groups())
    listed = rows[:-1]
    return DiffStat(
        summary=rows[-1].strip(), files_changed=files, insertions=plus, deletions=minus,
        lines=tuple(listed[:max_lines]), more=max(0, files - min(len(listed), max_lines)),
    )  # fmt: skip


@dataclass(frozen=True)
class Handoff:
    """Where a plan's result is. ``complete``: the plan is done (else: so far).
    ``branch`` is None when no wave has passed yet, or with ``worktrees`` off."""

    repo: str
    base: str
    complete: bool
    worktrees: bool = True
    branch: str | None = None
    waves_merged: tuple[int, ...] = ()
    waves_total: int = 0
    stat: DiffStat = field(default_factory=DiffStat)
    already_merged: bool = False  # the base branch already contains the branch
    problem: str = ""  # why the diff stat could not be read, or ""

    def _git(self, *args: str) -> str:
        return shlex.join(["git", "-C", self.repo, *args])

    @property
    def review_command(self) -> str | None:
        """The command that shows what a merge would bring."""
        if not self.worktrees:
            return f"{self._git('status')} && {self._git('diff')}"
        if self.branch is None:
            return None
        return self._git("diff", f"{self.base}...{self.branch}")

    @property
    def merge_command(self) -> str | None:
        """The command that merges the result into the base branch (checked out first)."""
        if not self.worktrees or self.branch is None:
            return None
        return f"{self._git('switch', self.base)} && {self._git('merge', '--no-ff', self.branch)}"

    def as_dict(self) -> dict[str, Any]:
        """JSON form (``convergio run --json``'s ``handoff``, the journal event's data)."""
        return {
            "complete": self.complete, "repo": self.repo, "base": self.base,
            "worktrees": self.worktrees, "branch": self.branch,
            "waves_merged": list(self.waves_merged), "waves_total": self.waves_total,
            "diff_stat": self.stat.summary, "files_changed": self.stat.files_changed,
            "insertions": self.stat.insertions, "deletions": self.stat.deletions,
            "files": list(self.stat.lines), "files_more": self.stat.more,
            "already_merged": self.already_merged, "problem": self.problem,
            "review_command": self.review_command, "merge_command": self.merge_command,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Handoff:
        """Read back :meth:`as_dict` (a journal event's data); raises KeyError/TypeError
        on a document that is not one."""
        stat = DiffStat(
            summary=str(data["diff_stat"]), files_changed=int(data["files_changed"]),
            insertions=int(data["insertions"]), deletions=int(data["deletions"]),
            lines=tuple(str(x) for x in data["files"]), more=int(data["files_more"]),
        )  # fmt: skip
        branch = data["branch"]
        return cls(
            repo=str(data["repo"]), base=str(data["base"]), complete=bool(data["complete"]),
            worktrees=bool(data["worktrees"]), branch=None if branch is None else str(branch),
            waves_merged=tuple(int(x) for x in data["waves_merged"]),
            waves_total=int(data["waves_total"]), stat=stat,
            already_merged=bool(data["already_merged"]), problem=str(data["problem"]),
        )  # fmt: skip


def waves_text(seqs: tuple[int, ...]) -> str:
    """``wave 1``, ``waves 1-3``, ``waves 1, 3``."""
    if len(seqs) == 1:
        return f"wave {seqs[0]}"
    if list(seqs) == list(range(seqs[0], seqs[0] + len(seqs))):
        return f"waves {seqs[0]}-{seqs[-1]}"
    return "waves " + ", ".join(str(s) for s in seqs)


def headline(h: Handoff) -> str:
    """One line: where the result is (the dashboard's notification, the panel's title)."""
    if not h.worktrees:
        return f"the changes are in {h.repo}'s working tree"
    if h.branch is None:
        return "no wave has passed Thor's wave review yet: nothing to merge"
    if h.already_merged:
        return f"{h.branch} is already merged into {h.base}"
    if h.complete:
        return f"merge {h.branch} into {h.base}"
    return f"{waves_text(h.waves_merged)} of {h.waves_total} passed so far: on {h.branch}"


def handoff_lines(h: Handoff) -> list[str]:
    """The hand-off as text: where the result is, its diff stat, the commands."""
    if not h.worktrees:
        return [
            f"result: the tasks ran in {h.repo} itself (execution.worktrees: false); "
            "their changes are in its working tree, not committed",
            f"  review: {h.review_command}",
        ]
    if h.branch is None:
        what = (
            "the plan merged nothing" if h.complete else "no wave has passed Thor's wave review yet"
        )
        return [f"result: {what}; nothing to merge"]
    if h.complete:
        lines = [f"result: {h.branch} holds the plan's work ({waves_text(h.waves_merged)}), "
                 f"made from {h.base}"]  # fmt: skip
    else:
        lines = [f"result so far: {waves_text(h.waves_merged)} of {h.waves_total} passed "
                 f"Thor's wave review; the work is on {h.branch}, made from {h.base}"]  # fmt: skip
    if h.problem:
        lines.append(f"  (no diff stat: {h.problem})")
    elif h.already_merged or not h.stat.files_changed:
        lines.append(f"  no changes against {h.base}: {h.base} already has this work")
        return lines
    else:
        lines += [f"  {line.strip()}" for line in h.stat.lines]
        if h.stat.more:
            lines.append(f"  … {h.stat.more} more file(s)")
        lines.append(f"  {h.stat.summary}")
    lines.append(f"  review: {h.review_command}")
    if h.complete:
        lines.append(f"  merge:  {h.merge_command}")
    else:
        lines.append(f"  the plan is not finished; to take this part anyway: {h.merge_command}")
    return lines
