"""Gate 3, standards: no credential or personal data added; error-handling rules.

Secrets are found by the hardening scanner over the diff's added lines, grouped by
contiguous runs so multi-line values (private keys) are seen whole. Evidence holds the
rule, ``file:line`` and a masked excerpt, never the value.
"""

from __future__ import annotations

from collections.abc import Callable

from convergio_tui.thor import secrets
from convergio_tui.thor.gates.base import Blame, Gate, GateContext, bullet_list
from convergio_tui.thor.gates.lines import find_patterns
from convergio_tui.thor.git import DiffInfo
from convergio_tui.thor.outcome import GateOutcome


def scan_added(
    diff: DiffInfo, redact: Callable[[str], str] | None = None
) -> list[secrets.SecretHit]:
    """Scanner findings on added lines, reported at their real file lines.

    The scanner sees the lines as written (a vault value shaped like a credential must
    still fail the gate); on a line holding a vault value the excerpt is cut from the
    redacted line instead, so no fragment of the value survives the cut.
    """
    hits: list[secrets.SecretHit] = []
    for path in sorted(diff.added):
        lines = diff.added[path]
        text = "\n".join(t for _, t in lines)
        for hit in secrets.scan(text, path):
            if 0 < hit.line <= len(lines):
                real, line = lines[hit.line - 1]
                excerpt = hit.excerpt
                if redact is not None and redact(line) != line:
                    excerpt = secrets.mask_line(redact(line))
                hits.append(secrets.SecretHit(path, real, hit.kind, hit.rule, excerpt))
    return hits


class StandardsGate(Gate):
    """Gate 3."""

    number = 3
    name = "standards"

    def check(self, ctx: GateContext) -> GateOutcome:
        """Scan added lines for secrets/PII and forbidden error handling."""
        if ctx.diff is None:
            return self.skipped("no git diff to scan (git isolation is off)")
        if not ctx.diff.added_line_count():
            return self.skipped("the diff adds no lines")
        problems: list[str] = []
        blame = Blame(ctx)
        found = scan_added(ctx.diff, ctx.redact)
        if found:
            items = [
                f"{ctx.label(h.path)}:{h.line}: {h.kind} ({h.rule}): {h.excerpt}" for h in found
            ]
            problems.append(
                "credentials or personal data added (move the value to the vault or an "
                "environment variable, use a placeholder):\n" + bullet_list(items)
            )
            blame.paths(h.path for h in found)
        rules = ctx.thor.error_handling_patterns
        bad = (
            find_patterns(ctx.diff, rules, include=ctx.thor.code_globs, redact=ctx.redact)
            if rules
            else []
        )
        if bad:
            items = [f"{ctx.label(h.path)}:{h.line}: matches /{h.pattern}/: {h.text}" for h in bad]
            problems.append(
                "error handling that swallows failures (catch specific exceptions, "
                "handle or re-raise):\n" + bullet_list(items)
            )
            blame.paths(h.path for h in bad)
        if problems:
            return self.failed("\n".join(problems), blame.codes())
        return self.passed(
            f"{ctx.diff.added_line_count()} added line(s) scanned by the "
            f"{secrets.scanner_name()}; error-handling rules hold"
        )
