"""Taking a plan over safely: one runner at a time, and recovery after a crash.

A ``convergio run`` killed at any moment (SIGKILL included) and started again completes
the plan: runs still marked running belong to a dead engine (we hold the runner lock,
so no live engine owns them), their leftover processes are killed (found by the
``CONVERGIO_RUN_TAG`` in their environment, or by pid with a matching create time).
Then each task resumes at the step that was lost (:mod:`engine.recovery`): a run whose
agent had finished is charged from what its CLI reported and goes on to the commit and
Thor's review; a task caught ``submitted`` or ``validating`` is committed and reviewed
again without a new agent run; only a run cut short is run again, in the same round. A
task whose passing review and merge happened but whose acceptance did not is accepted,
so no task is done twice; settle is once per run, so nothing is charged twice.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psutil

from convergio_tui.engine import gitops, worktrees
from convergio_tui.engine.context import EngineContext, run_tag
from convergio_tui.engine.recovery import Resumable, close_run, resumable
from convergio_tui.store.db import immediate
from convergio_tui.store.models import GateResult, Plan, Run, Task, Wave, now
from convergio_tui.store.states import TASK_IN_FLIGHT, RunStatus, TaskStatus
from convergio_tui.store.transitions import move_task
from convergio_tui.thor.rounds import accept_task

START_TOLERANCE_S = 2.0
_held: set[int] = set()
_held_lock = threading.Lock()


class PlanBusy(Exception):
    """Another live ``convergio run`` (or executor) owns the plan."""


@dataclass
class Recovery:
    """What :func:`recover` did."""

    interrupted_runs: list[int] = field(default_factory=list)  # cut short: their task reruns
    finished_runs: list[int] = field(default_factory=list)  # charged from their result
    killed_pids: list[int] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)  # "T1 at review"
    # For the executor to hand to its pool (see :func:`engine.recovery.resume_step`).
    resume: list[Resumable] = field(default_factory=list)


def _started(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def runner_alive(pid: int | None, started_at: float | None) -> bool:
    """True when ``pid`` is alive and is the same process (create time) that took the plan."""
    if not pid:
        return False
    created = _started(pid)
    if created is None:
        return False
    return started_at is None or abs(created - started_at) < 1.0


def acquire_runner(plan_id: int) -> None:
    """Record this process as the plan's runner, atomically; :class:`PlanBusy` if taken."""
    me = os.getpid()
    with _held_lock:
        if plan_id in _held:
            raise PlanBusy(f"plan {plan_id} is already being run in this process")
        with immediate():
            plan = Plan.get_by_id(plan_id)
            other = plan.runner_pid
            if other and other != me and runner_alive(other, plan.runner_started_at):
                since = datetime.fromtimestamp(plan.runner_started_at or now()).strftime("%H:%M:%S")
                raise PlanBusy(
                    f"plan {plan_id} ({plan.name}) is already being run by process {other} "
                    f"(started {since}); wait for it to finish or stop it first"
                )
            Plan.update(runner_pid=me, runner_started_at=_started(me)).where(
                Plan.id == plan_id
            ).execute()
        _held.add(plan_id)


def release_runner(plan_id: int) -> None:
    """Give the plan up (only if this process holds it)."""
    with _held_lock:
        _held.discard(plan_id)
        with contextlib.suppress(Exception):  # the database may be gone at interpreter exit
            Plan.update(runner_pid=None, runner_started_at=None).where(
                Plan.id == plan_id, Plan.runner_pid == os.getpid()
            ).execute()


def _ours(proc: psutil.Process, tags: set[str]) -> bool:
    with contextlib.suppress(psutil.Error, OSError):
        return proc.environ().get("CONVERGIO_RUN_TAG") in tags
    return False


def _pid_match(pid: int, created: float, by_pid: dict[int, Run]) -> bool:
    """The recorded agent process itself (same create time as the run's start), or a member of
    its process group born after it (its children, orphaned or not)."""
    run = by_pid.get(pid)
    if run is not None:
        return abs(created - run.started_at) < START_TOLERANCE_S
    try:
        run = by_pid.get(os.getpgid(pid))
    except OSError:
        return False
    if run is None or created < run.started_at - START_TOLERANCE_S:
        return False
    # A live leader that is not our agent means the pid (and group id) was reused.
    leader = _started(run.pid)
    return leader is None or abs(leader - run.started_at) < START_TOLERANCE_S


def find_run_processes(runs: list[Run]) -> list[psutil.Process]:
    """Live processes that belong to ``runs``: tagged in their environment, or the
    recorded pid (and its process group) with a create time matching the run's start."""
    tags = {run_tag(r.id) for r in runs}
    by_pid = {r.pid: r for r in runs if r.pid}
    me = os.getpid()
    found: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter(["pid", "create_time"]):
        pid = proc.info["pid"]
        if pid == me:
            continue
        created = proc.info.get("create_time") or 0.0
        if _pid_match(pid, created, by_pid):
            found[pid] = proc
            continue
        if _ours(proc, tags):
            found[pid] = proc
    return list(found.values())


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until each process is gone, without reaping: a process may be the child of a
    runner thread in this very process, whose ``Popen.wait`` must collect its exit code
    itself (``psutil.wait_procs`` would reap it and leave the runner an exit code of 0)."""
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if not _gone(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.02)
        alive = [p for p in alive if not _gone(p)]
    return alive


def kill_processes(procs: list[psutil.Process], grace_s: float = 2.0) -> list[int]:
    """Terminate, then kill what is left; returns the pids that were signalled."""
    signalled = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
            signalled.append(proc.pid)
    for proc in _wait_gone(procs, grace_s):
        with contextlib.suppress(psutil.Error):
            proc.kill()
    _wait_gone(procs, grace_s)
    return signalled


def _accept_if_settled(ctx: EngineContext, task: Task) -> bool:
    """Thor passed this round and the merge happened; only the acceptance was lost."""
    verdicts = {g.verdict for g in GateResult.select().where(GateResult.task == task.id,
                                                              GateResult.round == task.round)}  # fmt: skip
    if "pass" not in verdicts or "fail" in verdicts or task.status != TaskStatus.VALIDATING:
        return False
    if ctx.worktrees:
        wave = task.wave
        if not (
            task.branch and wave.branch and gitops.is_merged(ctx.repo, task.branch, wave.branch)
        ):
            return False
    accept_task(task.id)
    if task.worktree:
        worktrees.remove_worktree(ctx.repo, Path(task.worktree), root=ctx.worktree_root,
                                  owner=ctx.owner, task=task.code,
                                  branch=task.branch or ctx.task_branch(task.code))  # fmt: skip
        Task.update(worktree=None).where(Task.id == task.id).execute()
    return True


def recover(ctx: EngineContext) -> Recovery:
    """Close what a dead engine left behind (see the module docstring)."""
    out = Recovery()
    if ctx.worktrees:
        plan_dir = ctx.plan_dir
        trees = [p for p in plan_dir.iterdir() if p.is_dir()] if plan_dir.is_dir() else []
        worktrees.clear_stale_locks(ctx.repo, ctx.owner, trees)
    tasks = Task.select(Task.id).where(Task.plan == ctx.plan_id)
    waves = Wave.select(Wave.id).where(Wave.plan == ctx.plan_id)  # Thor's cross-reviews
    runs = list(Run.select().where(Run.status == RunStatus.RUNNING,
                                   Run.task.in_(tasks) | Run.wave.in_(waves)))  # fmt: skip
    if runs:
        out.killed_pids = kill_processes(find_run_processes(runs))
        for run in runs:
            closed = close_run(ctx, run)
            (out.finished_runs if closed.finished else out.interrupted_runs).append(run.id)
    stale = Task.select().where(Task.plan == ctx.plan_id,
                                Task.status.in_(sorted(TASK_IN_FLIGHT)))  # fmt: skip
    for task in stale:
        if _accept_if_settled(ctx, task):
            out.accepted.append(task.code)
            continue
        item = resumable(ctx, task)
        with immediate():
            # A validation cut short must not leave verdicts behind for the next review.
            GateResult.delete().where(
                GateResult.task == task.id, GateResult.round == task.round
            ).execute()
            if item is None:
                move_task(task.id, TaskStatus.QUEUED, frm=TASK_IN_FLIGHT)
        if item is None:
            out.requeued.append(task.code)
        else:
            out.resume.append(item)
            out.resumed.append(f"{task.code} at {item.step.replace('_', ' ')}")
    if out.interrupted_runs or out.finished_runs or out.requeued or out.accepted or out.resumed:
        ctx.bus.journal(
            "plan.recovered",
            f"resumed after an interruption: {len(out.interrupted_runs)} run(s) cut short, "
            f"{len(out.finished_runs)} finished run(s) charged from their result, "
            f"{len(out.killed_pids)} leftover process(es) killed, re-queued "
            f"{', '.join(out.requeued) or 'none'}, resumed {', '.join(out.resumed) or 'none'}, "
            f"accepted {', '.join(out.accepted) or 'none'}",
            level="warning", plan_id=ctx.plan_id,
            data={"runs": out.interrupted_runs, "finished": out.finished_runs,
                  "killed": out.killed_pids, "resumed": out.resumed},
        )  # fmt: skip
    return out
