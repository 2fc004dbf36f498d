"""The wave's full verification (gate 10): on the merged wave branch, the build and the
tests (configured or detected) and every done task's ``verify`` commands, together.

Each task passed alone; this is where changes that break each other are caught. A
failure goes back to the tasks whose changes it touches (thor/blame.py), else to the
whole wave. A person's approval covers that task's own ``verify``, not the wave's build or
tests: those are always enforced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from convergio_tui.thor.blame import touched_tasks
from convergio_tui.thor.gates.base import Blame, GateContext
from convergio_tui.thor.shell import CommandResult

MAX_READ_BYTES = 512 * 1024  # a test file bigger than this is not read for names


@dataclass
class Verification:
    """What the wave's verification found."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ran: bool = False


def _reader(ctx: GateContext) -> Callable[[str], str | None]:
    workdir = ctx.workdir

    def read(path: str) -> str | None:
        if workdir is None:
            return None
        target = workdir / path
        try:
            # Inside the checkout only: a path from a command's output is not trusted.
            if not target.resolve().is_relative_to(workdir.resolve()) or not target.is_file():
                return None
            if target.stat().st_size > MAX_READ_BYTES:
                return None
            return target.read_text(errors="replace")
        except OSError:
            return None

    return read


def _point(ctx: GateContext, blame: Blame, result: CommandResult, own: str | None = None) -> str:
    """Blame the tasks the failure touches (and ``own``, the task whose verify it is);
    return the sentence that says who, for the evidence."""
    read = _reader(ctx)
    codes = touched_tasks(result.output_tail, ctx.path_tasks, read)
    if own is not None:
        codes.add(own)
    if not codes:
        blame.everyone()
        return "it touches no task's changes in particular: the whole wave goes back"
    blame.tasks(codes)
    return f"it touches the changes of {', '.join(sorted(codes))}"


def verify_wave(ctx: GateContext, blame: Blame) -> Verification:
    """Run the wave's build, tests and the done tasks' verify commands on the wave branch."""
    found = Verification()
    where = ctx.head or "the wave branch"
    for gate, what in ((ctx.commands["build"], "the wave's build"),
                       (ctx.commands["test"], "the wave's tests")):  # fmt: skip
        for command in gate.commands:
            found.ran = True
            result = ctx.run(command.command)
            if result.ok:
                found.notes.append(f"{command.passed()} on {where}")
                continue
            who = _point(ctx, blame, result)
            found.problems.append(
                f"{what} {command.label()} failed on {where}; {who}:\n{result.evidence()}"
            )
    for task in ctx.tasks:
        if task.status != "done":
            continue  # skipped or cancelled on purpose: nothing of it is on the branch
        for verify in task.verify:
            found.ran = True
            result = ctx.run(verify)
            if result.ok:
                found.notes.append(f"[{task.code}] verify `{verify}` exit 0")
                continue
            if task.code in ctx.approved:
                found.notes.append(
                    f"not enforced: [{task.code}] verify `{verify}` fails on {where}, and "
                    f"{ctx.approved[task.code]} approved {task.code} as it is"
                )
                continue
            who = _point(ctx, blame, result, own=task.code)
            found.problems.append(
                f"[{task.code}] verify failed on {where}; {who}:\n{result.evidence()}"
            )
    return found
