"""The gate interface and the context every gate reads from."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import ClassVar

from convergio_tui.config.schema import Config
from convergio_tui.config.thor_schema import ThorConfig
from convergio_tui.sandbox.confine import SandboxUnavailable, confine_command
from convergio_tui.store.db import database_file
from convergio_tui.thor.crossreview import ReviewRunner
from convergio_tui.thor.git import DiffInfo
from convergio_tui.thor.outcome import GateOutcome, Scope
from convergio_tui.thor.shell import CommandClock, CommandResult, run_shell
from convergio_tui.thor.toolchain import (
    EffectiveCommands,
    configured_project_at,
    effective_commands,
    effective_thor,
)

MAX_ITEMS = 20  # evidence lists at most this many items, then "... and N more"


@dataclass(frozen=True)
class TaskBrief:
    """What a gate needs to know about one task."""

    id: int
    code: str
    files: tuple[str, ...]
    verify: tuple[str, ...]
    status: str = ""
    privacy: str = "internal"
    type: str = ""  # the plan's task type: gate 1 fails a code-changing one that changed nothing
    # The wave review sent it back: its earlier work is already on the wave branch, so a
    # round that adds nothing (the fix was another task's) is not a task that did nothing.
    sent_back_by_wave: bool = False


@dataclass
class GateContext:
    """Everything a gate may look at for one review.

    ``diff`` is ``None`` when git isolation is off (``execution.worktrees: false``) or
    the branches are unknown: git-based checks then skip. ``workdir`` is where commands
    run (the task's worktree, or a temporary checkout of the wave branch).
    """

    scope: Scope
    config: Config
    repo: Path
    workdir: Path | None
    base: str | None
    head: str | None
    diff: DiffInfo | None
    clock: CommandClock
    tasks: list[TaskBrief] = field(default_factory=list)
    worker_success: bool = True
    worker_error: str = ""
    protected_branches: tuple[str, ...] = ("main", "master")
    dirty_before: list[str] = field(default_factory=list)
    head_branch_checked_out: str | None = None
    path_tasks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    commits: list[tuple[str, str, list[str]]] = field(default_factory=list)
    git_clock: CommandClock = field(default_factory=CommandClock)
    wave_id: int | None = None
    earlier: list[GateOutcome] = field(default_factory=list)  # verdicts of lower gates
    approved: dict[str, str] = field(default_factory=dict)  # code -> human:<user> (wave)
    git_error: str | None = None  # git could not compare the branches: gate 4 fails
    # The project's vault redactor: gates apply it before cutting text into evidence.
    redact: Callable[[str], str] = field(default=lambda text: text)
    # The engine's cross-review dispatch (wave scope; None: nobody to ask).
    cross_review: ReviewRunner | None = None

    @cached_property
    def project(self) -> str | None:
        """The configured project at ``repo`` (its ``projects.<name>.thor`` applies)."""
        return configured_project_at(self.config, self.repo)

    @cached_property
    def thor(self) -> ThorConfig:
        """The ``thor:`` settings, with the project's own ``projects.<name>.thor`` over them."""
        return effective_thor(self.config, self.project)

    @cached_property
    def commands(self) -> EffectiveCommands:
        """Each command gate's commands and their origin: configured, off, or detected
        from the project's files at ``repo`` (its own checkout, not the agent's worktree:
        an agent's change cannot switch a gate's detection off)."""
        return effective_commands(self.config, self.project, self.repo)

    def run(self, command: str) -> CommandResult:
        """Run a configured command in ``workdir`` with the configured timeout (a failure,
        never a pass, when there is no checkout to run it in)."""
        if self.workdir is None:
            return CommandResult(
                command, -1, f"not run: {self.git_error or 'no checkout'}", False, 0.0
            )
        workdir = self.workdir
        network = all(t.privacy != "sensitive" for t in self.tasks)

        def wrap(argv: list[str]) -> tuple[list[str], dict[str, str]]:
            return confine_command(self.config, argv, workdir, network=network,
                                   db_file=database_file())  # fmt: skip

        try:
            return run_shell(
                command, workdir, self.thor.command_timeout_s, self.clock, self.redact, wrap
            )
        except SandboxUnavailable as exc:
            return CommandResult(command, -1, f"not run: {exc}", False, 0.0)

    def label(self, path: str) -> str:
        """``path`` prefixed with its task codes at wave scope (``[T1-02] src/x.py``)."""
        codes = self.path_tasks.get(path, ()) if self.scope == "wave" else ()
        return f"[{', '.join(codes)}] {path}" if codes else path


class Blame:
    """Who a wave-level failure goes back to: named tasks, or the whole wave."""

    def __init__(self, ctx: GateContext) -> None:
        self._ctx = ctx
        self._codes: set[str] = set()
        self._whole = False

    def paths(self, paths: Iterable[str]) -> None:
        """Blame whoever changed ``paths``; a path no task claims blames the wave."""
        for path in paths:
            owners = self._ctx.path_tasks.get(path, ())
            if owners:
                self._codes.update(owners)
            else:
                self._whole = True

    def tasks(self, codes: Iterable[str]) -> None:
        """Blame these tasks."""
        self._codes.update(codes)

    def everyone(self) -> None:
        """A problem no task can be singled out for (a failing command)."""
        self._whole = True

    def codes(self) -> tuple[str, ...]:
        """The codes to send back; empty means the whole wave."""
        return () if self._whole else tuple(sorted(self._codes))


class Gate:
    """One quality gate: ``check`` returns pass, fail or skip with actionable evidence."""

    number: ClassVar[int]
    name: ClassVar[str]
    scopes: ClassVar[frozenset[Scope]] = frozenset({"task", "wave"})

    def check(self, ctx: GateContext) -> GateOutcome:
        """Judge the work described by ``ctx``."""
        raise NotImplementedError

    def passed(self, evidence: str) -> GateOutcome:
        """A pass, with what was checked."""
        return GateOutcome(self.number, self.name, "pass", evidence)

    def failed(self, evidence: str, tasks: Iterable[str] = ()) -> GateOutcome:
        """A failure, with what to fix and (wave scope) the tasks responsible.

        An empty ``tasks`` sends the whole wave back: pass it whenever any problem
        cannot be pinned on particular tasks (a failing build, lint or test command).
        """
        codes = tuple(sorted(set(tasks)))
        return GateOutcome(self.number, self.name, "fail", evidence, codes, attributed=True)

    def skipped(self, reason: str) -> GateOutcome:
        """Nothing to check: never a pass."""
        return GateOutcome(self.number, self.name, "skip", reason)


def bullet_list(items: list[str], limit: int = MAX_ITEMS) -> str:
    """Items one per line, capped at ``limit`` with a count of the rest."""
    shown = [f"- {item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"- ... and {len(items) - limit} more")
    return "\n".join(shown)


def summarize(problems: list[str], checked: list[str]) -> tuple[bool, str]:
    """(ok, evidence): problems listed when any, else what was checked."""
    if problems:
        return False, bullet_list(problems)
    return True, "; ".join(checked)
