"""Gate 8, TDD: code changed ⇒ tests changed (globs), and the test command (configured
or detected) passes."""

from __future__ import annotations

from convergio_tui.thor.gates.base import Blame, Gate, GateContext, bullet_list
from convergio_tui.thor.globs import matches
from convergio_tui.thor.outcome import GateOutcome


def untested_code(ctx: GateContext) -> list[str]:
    """Code paths changed without a test change.

    At task scope the whole diff counts. At wave scope each task must bring tests for
    its own code (one task's tests do not cover another's); paths no task claims are
    covered by any test change in the wave.
    """
    assert ctx.diff is not None
    t = ctx.thor
    changed = sorted(ctx.diff.changed)
    code = [p for p in changed if matches(p, t.code_globs) and not matches(p, t.test_globs)]
    tests = [p for p in changed if matches(p, t.test_globs)]
    if not tests:
        return code
    if ctx.scope == "task":
        return []
    tested_by = {c for p in tests for c in ctx.path_tasks.get(p, ())}
    return [p for p in code if not set(ctx.path_tasks.get(p, ())) <= tested_by]


class TddGate(Gate):
    """Gate 8."""

    number = 8
    name = "TDD"

    def check(self, ctx: GateContext) -> GateOutcome:
        """Skip when no code changed and no test command is configured or detected."""
        t = ctx.thor
        problems: list[str] = []
        blame = Blame(ctx)
        checked: list[str] = []
        if ctx.diff is not None and t.code_globs:
            code_changed = any(
                matches(p, t.code_globs) and not matches(p, t.test_globs) for p in ctx.diff.changed
            )
            if code_changed:
                checked.append("code changes come with test changes")
            missing = untested_code(ctx)
            if missing:
                problems.append(
                    "code changed without any test change (add or update tests matching "
                    f"{', '.join(t.test_globs)}):\n" + bullet_list([ctx.label(p) for p in missing])
                )
                blame.paths(missing)
        test = ctx.commands["test"]
        # At wave scope the tests run with the wave's build, in gate 10.
        for command in test.commands if ctx.scope == "task" else ():
            result = ctx.run(command.command)
            checked.append(command.passed())
            if not result.ok:
                problems.append(f"test command {command.label()} failed:\n{result.evidence()}")
                blame.everyone()
        if problems:
            return self.failed("\n".join(problems), blame.codes())
        if not checked:
            if ctx.scope == "wave":
                return self.skipped("no code changed; the tests run in gate 10 (build)")
            return self.skipped(f"no code changed; {test.why_none()}")
        return self.passed("; ".join(checked))
