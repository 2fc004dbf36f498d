"""Gate 1, compliance: the agent succeeded, ``verify`` passes, the work changed files.

A task of a code-changing type (:data:`CHANGING_TYPES`) or one that declares ``files``
must change at least one file: its diff against the branch it started from may not be
empty. The other types (research, review, pr-ops) may legitimately answer in words only
(docs/architecture.md, "What Thor's verdicts say").
"""

from __future__ import annotations

from convergio_tui.thor.gates.base import Blame, Gate, GateContext, TaskBrief
from convergio_tui.thor.globs import matches
from convergio_tui.thor.outcome import GateOutcome

# Task types whose work is a change to the repository: code, tests, mass edits, docs.
CHANGING_TYPES = frozenset({"coding", "test", "bulk", "docs"})


def must_change(task: TaskBrief) -> bool:
    """True when an empty diff fails the task: a code-changing type, or declared files."""
    return task.type in CHANGING_TYPES or bool(task.files)


def no_change_problem(task: TaskBrief, base: str | None) -> str:
    """The evidence for a task that changed nothing, saying why it had to change files."""
    against = f" against {base}" if base else ""
    if task.files:
        why = f"it declares files that must change: {', '.join(task.files)}"
    else:
        why = f"a {task.type} task is expected to change files"
    return (
        f"changed no file: the diff{against} is empty, but {why}. "
        "Make the change in the worktree; Thor reviews what is committed on the task branch."
    )


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
        """Fail on a failed agent run, a task round that changed nothing it had to change,
        a failing verify command or an untouched declared file."""
        problems: list[str] = []
        blame = Blame(ctx)
        checked: list[str] = []
        if ctx.scope == "task":
            checked.append("agent succeeded")
            if not ctx.worker_success:
                problems.append(f"the agent run failed: {ctx.worker_error.strip() or 'no detail'}")
            self._check_changed(ctx, checked, problems)
        for task in ctx.tasks:
            prefix = f"[{task.code}] " if ctx.scope == "wave" else ""
            if ctx.scope == "wave" and task.status != "done":
                continue  # skipped or cancelled on purpose: nothing of it is on the branch
            # At wave scope the verify commands run together with the wave's build and
            # tests, in gate 10 (gates/wave_verify.py).
            for command in task.verify if ctx.scope == "task" else ():
                if ctx.workdir is None:
                    continue
                result = ctx.run(command)
                checked.append(f"verify `{command}` exit 0")
                if not result.ok:
                    problems.append(f"{prefix}verify command failed:\n{result.evidence()}")
                    blame.tasks([task.code])
            if task.files:
                if ctx.scope == "task" and ctx.diff is not None and not ctx.diff.changed:
                    continue  # "changed no file" already says it, with the declared files
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

    @staticmethod
    def _check_changed(ctx: GateContext, checked: list[str], problems: list[str]) -> None:
        """A task round that had to change files and whose diff is empty is a failure
        (task scope only: at wave scope each task already answered for its own diff)."""
        for task in ctx.tasks:
            if not must_change(task):
                continue
            if ctx.diff is None:
                checked.append("changed files not checked (no git isolation)")
            elif ctx.diff.changed:
                checked.append(f"{len(ctx.diff.changed)} file(s) changed")
            elif task.sent_back_by_wave:
                checked.append("no new change: its earlier work is on the wave branch")
            else:
                problems.append(no_change_problem(task, ctx.base))
