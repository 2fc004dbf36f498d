"""Gate 7, performance: the configured ``perf_command`` passes on the wave branch (never
detected: only the project knows its performance check)."""

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
        perf = ctx.commands["perf"]
        if not perf.commands:
            return self.skipped(perf.why_none())
        passed: list[str] = []
        for command in perf.commands:
            result = ctx.run(command.command)
            if not result.ok:
                return self.failed(
                    f"performance command {command.label()} failed:\n{result.evidence()}"
                )
            passed.append(f"{command.passed()} in {result.duration_s:.1f}s")
        return self.passed("; ".join(passed))
