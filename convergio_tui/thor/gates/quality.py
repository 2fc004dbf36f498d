"""Gate 2, quality: lint commands pass; the diff adds no TODO/FIXME/debug leftovers."""

from __future__ import annotations

from convergio_tui.thor.gates.base import Blame, Gate, GateContext, bullet_list
from convergio_tui.thor.gates.lines import find_patterns
from convergio_tui.thor.outcome import GateOutcome


class QualityGate(Gate):
    """Gate 2. Leftovers are looked for outside ``doc_globs`` (docs may say TODO)."""

    number = 2
    name = "quality"

    def check(self, ctx: GateContext) -> GateOutcome:
        """Run the lint commands (configured or detected); look for ``debug_patterns`` on
        added lines."""
        problems: list[str] = []
        blame = Blame(ctx)
        checked: list[str] = []
        lint = ctx.commands["lint"]
        for command in lint.commands:
            result = ctx.run(command.command)
            checked.append(command.passed())
            if not result.ok:
                problems.append(f"lint command {command.label()} failed:\n{result.evidence()}")
                blame.everyone()
        if ctx.diff is not None and ctx.thor.debug_patterns and ctx.diff.added_line_count():
            hits = find_patterns(
                ctx.diff, ctx.thor.debug_patterns, exclude=ctx.thor.doc_globs, redact=ctx.redact
            )
            checked.append(f"{ctx.diff.added_line_count()} added line(s) free of debug leftovers")
            if hits:
                items = [
                    f"{ctx.label(h.path)}:{h.line}: matches /{h.pattern}/: {h.text}" for h in hits
                ]
                problems.append("leftovers added by the diff (remove them):\n" + bullet_list(items))
                blame.paths(h.path for h in hits)
        if problems:
            return self.failed("\n".join(problems), blame.codes())
        if not checked:
            return self.skipped(f"{lint.why_none()}; no added lines to inspect")
        return self.passed("; ".join(checked))
