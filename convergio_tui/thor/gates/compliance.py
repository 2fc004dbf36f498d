"""Gate 1, compliance: the agent succeeded, ``verify`` passes, declared files changed."""

from __future__ import annotations

from convergio_tui.thor.gates.base import Blame, Gate, GateContext, TaskBrief
from convergio_tui.thor.globs import matches
from convergio_tui.thor.outcome import GateOutcome


def untouched_files(task: TaskBrief, changed: list[str]) -> list[str]:
    """Declared files (paths, directories or globs) that no changed path matches."""
    missing = []
    for declared in task.files:
        wanted = declared.strip().rstrip("/")
        if not wanted:
            continue
        hit = any(
            path == wanted or path.startswith(wanted + "/") or matches(path, [wanted])
            for path in changed
        )
        if not hit:
            missing.append(declared)
    return missing


class ComplianceGate(Gate):
    """Gate 1."""

    number = 1
    name = "compliance"

    def check(self, ctx: GateContext) -> GateOutcome:
        """Fail on a failed agent run, a failing verify command or an untouched declared file."""
        problems: list[str] = []
        blame = Blame(ctx)
        checked: list[str] = []
        if ctx.scope == "task":
            checked.append("agent succeeded")
            if not ctx.worker_success:
                problems.append(f"the agent run failed: {ctx.worker_error.strip() or 'no detail'}")
        for task in ctx.tasks:
            prefix = f"[{task.code}] " if ctx.scope == "wave" else ""
            if ctx.scope == "wave" and task.status != "done":
                continue  # skipped or cancelled on purpose: nothing of it is on the branch
            for command in task.verify:
                if ctx.workdir is None:
                    continue
                result = ctx.run(command)
                checked.append(f"verify `{command}` exit 0")
                if not result.ok:
                    problems.append(f"{prefix}verify command failed:\n{result.evidence()}")
                    blame.tasks([task.code])
            if task.files:
                if ctx.diff is None:
                    checked.append("declared files not checked (no git isolation)")
                    continue
                missing = untouched_files(task, list(ctx.diff.changed))
                checked.append(f"{len(task.files)} declared file(s) changed")
                if missing:
                    problems.append(
                        f"{prefix}declared files not changed by the diff: {', '.join(missing)}"
                    )
                    blame.tasks([task.code])
        if problems:
            return self.failed("\n".join(problems), blame.codes())
        if not checked:
            return self.skipped("no agent result, verify commands or declared files to check")
        return self.passed("; ".join(checked))
