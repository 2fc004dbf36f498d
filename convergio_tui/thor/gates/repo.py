"""Gate 4, repo: committed on the task branch (never the base), merges cleanly, no
conflict markers, files within the length limit."""

from __future__ import annotations

from convergio_tui.thor import git as g
from convergio_tui.thor.gates.base import Blame, Gate, GateContext, bullet_list
from convergio_tui.thor.gates.lines import count_lines, find_patterns
from convergio_tui.thor.outcome import GateOutcome

CONFLICT_MARKERS = (r"^<<<<<<<(?: |$)", r"^=======$", r"^>>>>>>>(?: |$)", r"^\|\|\|\|\|\|\|(?: |$)")


def too_long(ctx: GateContext, limit: int) -> list[tuple[str, int]]:
    """Changed text files at the head ref longer than ``limit`` lines, with their length."""
    assert ctx.diff is not None and ctx.head is not None
    paths = [p for p in ctx.diff.present if p not in ctx.diff.binary]
    texts = g.blob_texts(ctx.repo, ctx.head, paths, ctx.git_clock)
    counts = ((p, count_lines(texts[p])) for p in paths if p in texts)
    return [(p, n) for p, n in counts if n > limit]


class RepoGate(Gate):
    """Gate 4."""

    number = 4
    name = "repo"

    def check(self, ctx: GateContext) -> GateOutcome:
        """Branch, cleanliness, mergeability, conflict markers, file length."""
        if ctx.git_error:
            return self.failed(f"git cannot compare the work with its base: {ctx.git_error}")
        if ctx.diff is None or ctx.head is None or ctx.base is None:
            return self.skipped("git isolation is off: no branch to check")
        problems: list[str] = []
        blame = Blame(ctx)
        if ctx.head in ctx.protected_branches:
            problems.append(f"the work is on {ctx.head!r}, a protected branch; use the task branch")
            blame.everyone()
        checked_out = ctx.head_branch_checked_out
        if ctx.scope == "task" and checked_out is not None and checked_out != ctx.head:
            problems.append(f"the worktree is on {checked_out!r}, not the task branch {ctx.head!r}")
        if ctx.dirty_before:
            problems.append(
                "uncommitted changes left in the worktree:\n"
                + bullet_list(sorted(ctx.dirty_before))
            )
            blame.everyone()
        conflicts = g.merge_conflicts(ctx.repo, ctx.base, ctx.head, ctx.git_clock)
        if conflicts is None:
            problems.append(f"git could not compute a merge of {ctx.head} into {ctx.base}")
            blame.everyone()
        elif conflicts:
            problems.append(
                f"merging {ctx.head} into {ctx.base} conflicts in:\n"
                + bullet_list([ctx.label(p) for p in conflicts])
            )
            blame.paths(conflicts)
        markers = find_patterns(ctx.diff, CONFLICT_MARKERS, redact=ctx.redact)
        if markers:
            problems.append(
                "conflict markers added:\n"
                + bullet_list([f"{ctx.label(h.path)}:{h.line}: {h.text}" for h in markers])
            )
            blame.paths(h.path for h in markers)
        limit = ctx.thor.max_file_lines
        if limit is not None:
            long_files = too_long(ctx, limit)
            if long_files:
                items = [f"{ctx.label(p)}: {n} lines (limit {limit})" for p, n in long_files]
                problems.append("files over max_file_lines (split them):\n" + bullet_list(items))
                blame.paths(p for p, _ in long_files)
        if problems:
            return self.failed("\n".join(problems), blame.codes())
        what = "task branch" if ctx.scope == "task" else "wave branch"
        return self.passed(
            f"committed on the {what} {ctx.head}; merges cleanly into {ctx.base}; "
            f"no conflict markers; {len(ctx.diff.present)} changed file(s) within limits"
        )
