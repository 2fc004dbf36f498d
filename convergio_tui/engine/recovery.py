"""Resume a dead engine's work at the step that was lost, never paying for it twice.

Called by :func:`engine.resume.recover` once the dead engine's leftover processes are
killed. Two jobs:

- :func:`close_run` closes a run still marked ``running``. If its log shows the agent
  finished (:mod:`engine.recovery_log`), the run is charged from what the CLI reported
  and closed as ``succeeded``/``failed``/``timeout`` exactly as the dead engine would have
  (:func:`engine.launch.conclude`; settle is once per run). Otherwise it was cut short:
  it is closed ``interrupted``, and what its partial stream had reported (Claude's
  per-message usage, OpenCode's steps) is charged; nothing reported, nothing charged —
  its reservation is only released.
- :func:`resumable` decides whether a task caught ``running``/``submitted``/``validating``
  can go on from its finished run instead of running its agent again: the run of its
  current round started and ended, and its worktree is still on the task branch. The
  executor hands each :class:`Resumable` to its pool; :func:`resume_step` continues with
  the engine's own steps (:mod:`engine.taskflow`): ``after_run`` (the run's end was not
  routed yet), ``commit`` (from ``submitted``), ``review`` (from ``validating``; verdicts
  of a cut-short review are deleted by ``recover`` first, so Thor reviews again).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from convergio_tui.engine import budget, gitops
from convergio_tui.engine.charging import Charge
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import Prepared
from convergio_tui.engine.events import RunFinished
from convergio_tui.engine.launch import Executed, adapter_for, conclude, run_charge
from convergio_tui.engine.partial_charge import partial_charge
from convergio_tui.engine.recovery_log import LoggedRun, read_lines, rebuild
from convergio_tui.engine.taskflow import Workspace, after_run, commit_and_review, review_and_settle
from convergio_tui.providers import ProviderAdapter
from convergio_tui.providers.result import ErrorClass
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Ledger, Run, Task, Wave, now
from convergio_tui.store.states import RUN_NOT_RESUMABLE, RunStatus, TaskStatus
from convergio_tui.store.transitions import move_run
from convergio_tui.tools.worktree_check import release_worktree

# The task's status at the crash -> the step it resumes at.
STEP_OF: dict[str, str] = {
    TaskStatus.RUNNING: "after_run", TaskStatus.SUBMITTED: "commit",
    TaskStatus.VALIDATING: "review",
}  # fmt: skip


@dataclass(frozen=True)
class Resumable:
    """A task whose agent finished before the crash, and where it goes on."""

    prep: Prepared
    done: Executed
    space: Workspace
    step: str  # "after_run" | "commit" | "review"


@dataclass(frozen=True)
class Closed:
    """How :func:`close_run` closed a run: ``finished`` (charged from its result) or
    cut short (``interrupted``); ``usd`` is what was charged."""

    run_id: int
    finished: bool
    usd: float


def _adapter(ctx: EngineContext, provider: str) -> ProviderAdapter | None:
    with contextlib.suppress(KeyError):
        return adapter_for(ctx, provider)
    return None  # a provider since removed from the configuration


def _prepared(ctx: EngineContext, task: Task | None, run: Run) -> Prepared:
    """The dispatch as the engine recorded it, rebuilt from the rows (``task`` None: a run
    of the wave itself, Thor's cross-review)."""
    reserved = (
        Ledger.select(pw.fn.SUM(Ledger.usd))
        .where(Ledger.run == run.id, Ledger.kind == "reserve")
        .scalar()
    )
    provider = ctx.config.providers.get(run.provider)
    timeout = (task.timeout_s if task else None) or (provider.timeout_s if provider else 0)
    log_path = Path(run.log_path) if run.log_path else Path()
    if task is None:
        wave = Wave.get_by_id(run.wave_id)
        code, title = f"wave-{wave.seq}-review", f"cross-review of {wave.name}"
        privacy, prompt = "", ""  # read only before a spawn, and this run has ended
    else:
        code, title, privacy, prompt = task.code, task.title, task.privacy, task.prompt
    return Prepared(
        task.id if task else None, code, title, privacy, run.round, prompt, run.id,
        run.provider, run.model, tuple(run.route_reasons or ()), run.fallback_from,
        float(reserved or 0.0), float(timeout), log_path, wave_id=run.wave_id,
    )  # fmt: skip


def _logged(adapter: ProviderAdapter | None, run: Run) -> LoggedRun | None:
    if adapter is None:
        return None
    return rebuild(adapter.NAME, read_lines(Path(run.log_path) if run.log_path else None), run.pid)


def close_run(ctx: EngineContext, run: Run) -> Closed:
    """Close a run the dead engine left ``running`` (see the module docstring); a run of
    the wave (Thor's cross-review) is charged the same way and asked again by the wave
    review that recovery repeats."""
    task = Task.get_by_id(run.task_id) if run.task_id is not None else None
    prep = _prepared(ctx, task, run)
    adapter = _adapter(ctx, run.provider)
    logged = _logged(adapter, run)
    if adapter is not None and logged is not None and logged.finished and run.pid is not None:
        result = adapter.parse(logged.outcome)
        if logged.outcome.timed_out:
            status = RunStatus.TIMEOUT
        else:
            status = RunStatus.SUCCEEDED if result.success else RunStatus.FAILED
        done = conclude(ctx, prep, result, status, exit_code=logged.outcome.exit_code,
                        charge=run_charge(ctx, prep, result))  # fmt: skip
        if task is not None:
            ctx.bus.emit(RunFinished(run.id, task.id, task.code, status, done.cost_usd, done.error))
        if ctx.config.sandbox.mode == "off":
            ctx.bus.journal(
                "integrity.unchecked", f"{prep.code}: run {run.id} finished before the crash; "
                "its integrity snapshot died with the engine, so that check cannot be repeated",
                level="warning", plan_id=ctx.plan_id, task_id=prep.task_id,
            )  # fmt: skip
        return Closed(run.id, True, done.cost_usd)
    charge = _partial_charge(ctx, prep, adapter, logged)
    with immediate():
        if charge is None:
            budget.release(run.id)
        else:
            budget.settle(run.provider, run.model, run.id, usd=charge.usd, premium=charge.premium,
                          premium_requests=charge.premium_requests, note=charge.note)  # fmt: skip
        move_run(
            run.id, RunStatus.INTERRUPTED, frm=[RunStatus.RUNNING], finished_at=now(),
            error_class="interrupted", cost_usd=charge.usd if charge else 0.0,
            premium_requests=charge.premium_requests if charge else 0.0,
        )  # fmt: skip
    if task is not None:
        ctx.bus.emit(RunFinished(run.id, task.id, task.code, RunStatus.INTERRUPTED,
                                 charge.usd if charge else 0.0, "engine died mid-run"))  # fmt: skip
    return Closed(run.id, False, charge.usd if charge else 0.0)


def _partial_charge(
    ctx: EngineContext, prep: Prepared, adapter: ProviderAdapter | None, logged: LoggedRun | None
) -> Charge | None:
    """What a cut-short run's stream had reported (tokens at list prices), or None."""
    if adapter is None or logged is None:
        return None
    return partial_charge(ctx.config, prep.provider, prep.model, adapter.NAME,
                          logged.outcome.stdout_lines, "cut short by a crash")  # fmt: skip


def _workspace(ctx: EngineContext, task: Task) -> Workspace | None:
    """The task's worktree as the dead engine left it, if it is still on the task branch."""
    if not ctx.worktrees:
        return Workspace(ctx.repo)
    wave_branch = task.wave.branch
    if not (task.worktree and task.branch and wave_branch):
        return None
    path = Path(task.worktree)
    if not path.is_dir() or gitops.rev(ctx.repo, f"refs/heads/{wave_branch}") is None:
        return None
    head = gitops.git(path, "symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
    if head != f"refs/heads/{task.branch}":
        return None
    release_worktree(path)  # the dead engine's claim
    return Workspace(path, path, str(task.branch), str(wave_branch))


def _executed(adapter: ProviderAdapter | None, prep: Prepared, run: Run, task: Task) -> Executed:
    """The run's end as :func:`engine.launch.execute` returned it, from the row and log."""
    logged = _logged(adapter, run)
    result = adapter.parse(logged.outcome) if adapter and logged and logged.finished else None
    text = (result.text if result is not None else "") or str(task.result_text or "")
    if run.error_class == ErrorClass.integrity.value:
        error = "the integrity check failed: see the journal"
    else:
        error = result.error if result is not None else ""
    if not error and run.status != RunStatus.SUCCEEDED:
        error = f"the run ended {run.status}"
    return Executed(prep, str(run.status), run.status == RunStatus.SUCCEEDED, text, error,
                    str(run.error_class or "none"), float(run.cost_usd or 0.0))  # fmt: skip


def resumable(ctx: EngineContext, task: Task) -> Resumable | None:
    """Where ``task`` goes on without running its agent again, or None (run it again)."""
    step = STEP_OF.get(str(task.status))
    run = Run.select().where(Run.task == task.id).order_by(Run.id.desc()).first()
    if step is None or run is None or run.round != task.round or run.pid is None:
        return None
    if run.status in RUN_NOT_RESUMABLE:
        return None
    space = _workspace(ctx, task)
    if space is None:
        return None
    prep = _prepared(ctx, task, run)
    return Resumable(prep, _executed(_adapter(ctx, run.provider), prep, run, task), space, step)


def resume_step(ctx: EngineContext, item: Resumable) -> None:
    """Continue ``item`` on an engine worker thread with the engine's own steps."""
    if item.step == "after_run":
        after_run(ctx, item.prep, item.done, item.space)
    elif item.step == "commit":
        commit_and_review(ctx, item.prep, item.done, item.space)
    else:
        review_and_settle(ctx, item.prep, item.done, item.space)
