"""Gate 6, git hygiene: commit messages follow the convention; no stray, binary,
oversized or ignored files committed."""

from __future__ import annotations

import re

from convergio_tui.thor import git as g
from convergio_tui.thor.gates.base import Blame, Gate, GateContext, bullet_list
from convergio_tui.thor.globs import matches
from convergio_tui.thor.outcome import GateOutcome

_TASK_SUBJECT = re.compile(r"^convergio\((?P<code>[^)\s]+)\):")


def ignored(ctx: GateContext, paths: list[str]) -> list[str]:
    """Committed paths that the checkout's ``.gitignore`` rules say to ignore."""
    if not paths or ctx.workdir is None:
        return []
    proc = g.git_input(
        ctx.workdir, "\0".join(paths) + "\0", "check-ignore", "--no-index", "--stdin", "-z",
        clock=ctx.git_clock,
    )  # fmt: skip
    return [p for p in proc.split("\0") if p]


class HygieneGate(Gate):
    """Gate 6 (wave scope)."""

    number = 6
    name = "git hygiene"
    scopes = frozenset({"wave"})

    def check(self, ctx: GateContext) -> GateOutcome:
        """Commit subjects, then each committed file's kind, size and ignore status."""
        if ctx.diff is None or ctx.head is None:
            return self.skipped("no git history to inspect (git isolation is off)")
        if not ctx.diff.changed and not ctx.commits:
            return self.skipped("no commits in the wave")
        t = ctx.thor
        problems: list[str] = []
        blame = Blame(ctx)
        if t.commit_message_pattern:
            rx = re.compile(t.commit_message_pattern)
            bad = [(sha, subj) for sha, subj, _ in ctx.commits if not rx.search(subj)]
            if bad:
                problems.append(
                    f"commit messages not matching {t.commit_message_pattern!r}:\n"
                    + bullet_list([f"{sha} {subj}" for sha, subj in bad])
                )
                for _, subj in bad:
                    if match := _TASK_SUBJECT.match(subj):
                        blame.tasks([match.group("code")])
                    else:
                        blame.everyone()
        present = ctx.diff.present
        sizes = g.blob_sizes(ctx.repo, ctx.head, present, ctx.git_clock)
        findings: list[tuple[str, list[str], str]] = [
            ("stray files committed (remove them)",
             [p for p in present if matches(p, t.stray_globs)], ""),
            ("binary files committed",
             [p for p in present if p in ctx.diff.binary and not matches(p, t.binary_allowed_globs)], ""),
            ("oversized files committed",
             [p for p, n in sizes.items() if n > t.max_file_bytes], f" > {t.max_file_bytes} bytes"),
            ("files matching .gitignore committed", ignored(ctx, present), ""),
        ]  # fmt: skip
        for title, paths, note in findings:
            if paths:
                items = [f"{ctx.label(p)}{note}" for p in paths]
                problems.append(f"{title}:\n{bullet_list(items)}")
                blame.paths(paths)
        if problems:
            return self.failed("\n".join(problems), blame.codes())
        convention = "commit messages match the convention; " if t.commit_message_pattern else ""
        return self.passed(
            f"{convention}{len(present)} committed file(s): no stray, binary, oversized or "
            "ignored files"
        )
