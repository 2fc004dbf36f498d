"""Per-task and per-wave review: build the context, run the gates, record verdicts.

The engine calls :func:`review_task` after committing a round's work on the task branch
and :func:`review_wave` when every task of a wave is done (docs/architecture.md).
Neither changes a task's status: :mod:`thor.rounds` does that from the returned review.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from convergio_tui.config.schema import Config
from convergio_tui.providers.redact import redactor_for
from convergio_tui.store.models import Event, Plan, Project, Task, Wave
from convergio_tui.store.statements import select_where
from convergio_tui.thor import git as g
from convergio_tui.thor.crossreview import ReviewRunner
from convergio_tui.thor.gates import GateContext, TaskBrief, gates_for
from convergio_tui.thor.outcome import GateOutcome, Review, Scope, make_review
from convergio_tui.thor.record import next_wave_round, record_task_gates, record_wave_gates
from convergio_tui.thor.secrets import sanitize
from convergio_tui.thor.shell import CommandClock

__all__ = [
    "GateOutcome",
    "Review",
    "TaskReviewInput",
    "WaveReviewInput",
    "review_task",
    "review_wave",
]

MAX_EVIDENCE_CHARS = 6000
_TASK_COMMIT = re.compile(r"^convergio\((?P<code>[^)\s]+)\):")


@dataclass(frozen=True)
class TaskReviewInput:
    """One round of one task, as the engine hands it to Thor."""

    task_id: int
    run_id: int | None
    round: int
    repo: Path
    worktree: Path | None
    task_branch: str | None
    wave_branch: str | None
    config: Config
    worker_success: bool
    worker_error: str
    result_text: str
    # The project's vault values: masked in every piece of evidence Thor stores or
    # hands on (the engine passes ``tuple(ctx.secrets().values())``).
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class WaveReviewInput:
    """A wave whose tasks are all done: its branch and what it was made from."""

    wave_id: int
    repo: Path
    wave_branch: str
    base_ref: str
    config: Config
    secrets: tuple[str, ...] = ()  # the project's vault values, as for a task review
    # The engine runs a cross-review when gate 10 asks for one (thor.cross_review).
    cross_review: ReviewRunner | None = None


def brief(task: Task) -> TaskBrief:
    """The gates' view of a task row."""
    return TaskBrief(
        id=int(task.id),
        code=str(task.code),
        files=tuple(task.files or ()),
        verify=tuple(task.verify or ()),
        status=str(task.status),
        privacy=str(task.privacy),
        type=str(task.type or ""),
        sent_back_by_wave=_sent_back_by_wave(int(task.id)),
    )


def _sent_back_by_wave(task_id: int) -> bool:
    """Whether a wave review rejected an earlier round of the task (thor/rounds.py)."""
    rejections = select_where(Event, ("data",), task=task_id, kind="rejected")
    return any((data or {}).get("scope") == "wave" for (data,) in rejections)


def _clean(outcome: GateOutcome, redact: Callable[[str], str]) -> GateOutcome:
    """Mask secrets and bound the evidence before it is stored or sent to an agent."""
    text = sanitize(outcome.evidence, redact)
    if len(text) > MAX_EVIDENCE_CHARS:
        text = text[:MAX_EVIDENCE_CHARS] + "\n... (evidence truncated)"
    return GateOutcome(
        outcome.gate, outcome.name, outcome.verdict, text, outcome.tasks, outcome.attributed
    )


def _respect_approvals(ctx: GateContext, outcome: GateOutcome) -> GateOutcome:
    """A wave failure that only human-approved tasks cause is reported, not enforced:
    a person already accepted that work (the gate says skip, never pass)."""
    if not (outcome.failed and outcome.attributed and outcome.tasks and ctx.approved):
        return outcome
    if outcome.gate == 10:  # the wave's build and tests: enforced whoever is to blame
        return outcome
    if not set(outcome.tasks) <= set(ctx.approved):
        return outcome
    who = ", ".join(f"{code} by {ctx.approved[code]}" for code in outcome.tasks)
    note = f"not enforced: only work a person approved has these problems ({who}):\n"
    return GateOutcome(
        outcome.gate, outcome.name, "skip", note + outcome.evidence, outcome.tasks, True
    )


def run_gates(ctx: GateContext, scope: Scope) -> list[GateOutcome]:
    """Every gate of ``scope`` in number order; a gate that crashes fails (never passes)."""
    outcomes = []
    for gate in gates_for(scope):
        try:
            outcome = gate.check(ctx)
        except Exception as exc:  # a broken gate must not let work through
            outcome = gate.failed(f"gate could not run: {type(exc).__name__}: {exc}")
        outcomes.append(_clean(_respect_approvals(ctx, outcome), ctx.redact))
        ctx.earlier.append(outcomes[-1])
    return outcomes


_BRIEF = ("id", "code", "files", "verify", "status", "privacy", "type", "plan")


def _task_brief(task_id: int) -> tuple[TaskBrief, int]:
    """The gates' view of task ``task_id`` and its plan's id, read in one narrow row."""
    found = select_where(Task, _BRIEF, id=task_id)
    if not found:
        raise Task.DoesNotExist(f"task {task_id}")
    tid, code, files, verify, status, privacy, type_, plan_id = found[0]
    return TaskBrief(
        id=int(tid), code=str(code), files=tuple(files or ()), verify=tuple(verify or ()),
        status=str(status), privacy=str(privacy), type=str(type_ or ""),
        sent_back_by_wave=_sent_back_by_wave(int(tid)),
    ), int(plan_id)  # fmt: skip


def _protected(plan_id: int) -> tuple[str, ...]:
    plan = select_where(Plan, ("project",), id=plan_id)
    project = select_where(Project, ("base_branch",), id=plan[0][0]) if plan else []
    base = str((project[0][0] if project else None) or "main")
    return tuple(dict.fromkeys((base, "main", "master")))


def _git_state(
    config: Config, repo: Path, *refs: str | None, clock: CommandClock
) -> tuple[bool, str | None]:
    """(use git, problem): git gates run when isolation is on and the refs exist; refs
    that were named but cannot be found are a problem gate 4 reports (never a skip)."""
    if not config.execution.worktrees or any(not r for r in refs):
        return False, None
    missing = [str(r) for r in refs if not g.ref_exists(repo, str(r), clock)]
    if missing:
        return False, f"not found in {repo}: {', '.join(missing)}"
    return True, None


def review_task(inp: TaskReviewInput) -> Review:
    """Run gates 1–4, 8, 9 on one round of a task and record them in ``gate_result``."""
    started = time.monotonic()
    commands, git_clock = CommandClock(), CommandClock()
    redact = redactor_for(inp.secrets)
    task, plan_id = _task_brief(inp.task_id)
    repo = Path(inp.repo)
    workdir = Path(inp.worktree) if inp.worktree is not None else repo
    use_git, git_error = _git_state(
        inp.config, repo, inp.wave_branch, inp.task_branch, clock=git_clock
    )
    diff = stat = None
    dirty: list[str] = []
    checked_out = None
    if use_git:
        assert inp.wave_branch is not None and inp.task_branch is not None
        try:
            # Before any command runs: verify/test commands may leave files behind.
            if inp.worktree is not None:
                dirty = g.dirty_paths(workdir, git_clock)
                checked_out = g.current_branch(workdir, git_clock)
            diff = g.diff_info(repo, inp.wave_branch, inp.task_branch, git_clock)
            stat = g.diff_stat(repo, inp.wave_branch, inp.task_branch, git_clock)
        except g.GitError as exc:
            use_git, git_error, diff = False, str(exc), None
    ctx = GateContext(
        scope="task",
        config=inp.config,
        repo=repo,
        workdir=workdir,
        base=inp.wave_branch if use_git else None,
        head=inp.task_branch if use_git else None,
        diff=diff,
        clock=commands,
        tasks=[task],
        worker_success=inp.worker_success,
        worker_error=inp.worker_error,
        protected_branches=_protected(plan_id),
        dirty_before=dirty,
        head_branch_checked_out=checked_out,
        git_clock=git_clock,
        git_error=git_error,
        redact=redact,
    )
    outcomes = run_gates(ctx, "task")  # masked by run_gates: not scanned again to record
    record_task_gates(inp.task_id, inp.run_id, inp.round, outcomes, redact, masked=True)
    own = time.monotonic() - started - commands.seconds
    return make_review(outcomes, stat or "", own, git_clock.seconds, redact=redact)


def _path_tasks(
    commits: list[tuple[str, str, list[str]]], codes: set[str]
) -> dict[str, tuple[str, ...]]:
    """Which task codes touched each path, from the engine's commit subjects."""
    owners: dict[str, set[str]] = {}
    for _sha, subject, paths in commits:
        match = _TASK_COMMIT.match(subject)
        if match is None or match.group("code") not in codes:
            continue
        for path in paths:
            owners.setdefault(path, set()).add(match.group("code"))
    return {path: tuple(sorted(c)) for path, c in owners.items()}


@contextmanager
def _wave_checkout(
    use_git: bool, inp: WaveReviewInput, clock: CommandClock, problems: list[str]
) -> Iterator[Path | None]:
    """Where wave commands run: a throw-away checkout of the wave branch (``None``, with
    the reason appended to ``problems``, when git cannot make one)."""
    if not use_git:
        yield Path(inp.repo)
        return
    with ExitStack() as stack:
        path: Path | None
        try:
            path = stack.enter_context(g.temp_worktree(Path(inp.repo), inp.wave_branch, clock))
        except g.GitError as exc:
            problems.append(f"cannot check out {inp.wave_branch}: {exc}")
            path = None
        yield path


def review_wave(inp: WaveReviewInput) -> Review:
    """Run all ten gates over the wave's whole diff (``base_ref...wave_branch``)."""
    started = time.monotonic()
    commands, git_clock = CommandClock(), CommandClock()
    redact = redactor_for(inp.secrets)
    wave = Wave.get_by_id(inp.wave_id)
    tasks = list(Task.select().where(Task.wave == inp.wave_id).order_by(Task.code))
    repo = Path(inp.repo)
    use_git, git_error = _git_state(
        inp.config, repo, inp.base_ref, inp.wave_branch, clock=git_clock
    )
    diff = None
    stat = ""
    history: list[tuple[str, str, list[str]]] = []
    if use_git:
        try:
            diff = g.diff_info(repo, inp.base_ref, inp.wave_branch, git_clock)
            stat = g.diff_stat(repo, inp.base_ref, inp.wave_branch, git_clock)
            history = g.commits(repo, inp.base_ref, inp.wave_branch, git_clock)
        except g.GitError as exc:
            use_git, git_error, diff = False, str(exc), None
    problems = [git_error] if git_error else []
    with _wave_checkout(use_git, inp, git_clock, problems) as workdir:
        ctx = GateContext(
            scope="wave",
            config=inp.config,
            repo=repo,
            workdir=workdir,
            base=inp.base_ref if use_git else None,
            head=inp.wave_branch if use_git else None,
            diff=diff,
            clock=commands,
            tasks=[brief(t) for t in tasks],
            protected_branches=_protected(wave.plan_id),
            head_branch_checked_out=inp.wave_branch if use_git else None,
            path_tasks=_path_tasks(history, {str(t.code) for t in tasks}),
            commits=history,
            git_clock=git_clock,
            wave_id=inp.wave_id,
            approved={
                str(t.code): str(t.validated_by)
                for t in tasks
                if t.status == "done" and str(t.validated_by or "").startswith("human:")
            },
            git_error="; ".join(problems) or None,
            redact=redact,
            cross_review=inp.cross_review,
        )
        outcomes = run_gates(ctx, "wave")
    record_wave_gates(inp.wave_id, next_wave_round(inp.wave_id), outcomes, redact)
    own = time.monotonic() - started - commands.seconds
    # Each task already passed on its own: a wave with nothing more to check is not failed.
    return make_review(outcomes, stat, own, git_clock.seconds, need_pass=False, redact=redact)
