"""Gate 7, performance: the configured ``perf_command`` passes on the wave branch."""

from __future__ import annotations

from convergio_tui.thor.gates.base import Gate, GateContext
from convergio_tui.thor.outcome import GateOutcome


class PerfGate(Gate):
    """Gate 7 (wave scope)."""

    number = 7
    name = "performance"
    scopes = frozenset({"wave"})

    def check(self, ctx: GateContext) -> GateOutcome:
        """Run ``perf_command`` in the wave checkout."""
        command = ctx.thor.perf_command
        if not command:
            return self.skipped("no perf_command configured")
        result = ctx.run(command)
        if result.ok:
            return self.passed(f"`{command}` exit 0 in {result.duration_s:.1f}s")
        return self.failed(f"performance command failed:\n{result.evidence()}")
