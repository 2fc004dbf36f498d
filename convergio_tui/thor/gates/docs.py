"""Gate 5, documentation: when ``doc_trigger_globs`` paths change, docs change too."""

from __future__ import annotations

from convergio_tui.thor.gates.base import Blame, Gate, GateContext, bullet_list
from convergio_tui.thor.globs import select
from convergio_tui.thor.outcome import GateOutcome


class DocsGate(Gate):
    """Gate 5 (wave scope)."""

    number = 5
    name = "documentation"
    scopes = frozenset({"wave"})

    def check(self, ctx: GateContext) -> GateOutcome:
        """Fail when trigger paths changed and no ``doc_globs`` path did."""
        triggers = ctx.thor.doc_trigger_globs
        if not triggers:
            return self.skipped("no doc_trigger_globs configured")
        if ctx.diff is None:
            return self.skipped("no git diff to inspect (git isolation is off)")
        changed = sorted(ctx.diff.changed)
        triggered = select(changed, triggers)
        if not triggered:
            return self.skipped("no path matching doc_trigger_globs changed")
        docs = select(changed, ctx.thor.doc_globs)
        if docs:
            return self.passed(
                f"{len(triggered)} trigger path(s) changed and docs were updated: {', '.join(docs[:5])}"
            )
        blame = Blame(ctx)
        blame.paths(triggered)
        return self.failed(
            "these paths changed but no documentation (doc_globs: "
            f"{', '.join(ctx.thor.doc_globs)}) was updated:\n"
            + bullet_list([ctx.label(p) for p in triggered]),
            blame.codes(),
        )
