"""The executor: waves in order, each wave's tasks in parallel on engine-owned threads.

One scheduler loop (the thread calling :meth:`Executor.run`) makes every dispatch
decision, so the counts behind ``--parallel``/``execution.max_parallel`` and each
provider's ``max_parallel`` are exact; an :class:`~convergio_tui.engine.pool.EnginePool`
runs the dispatches. The loop wakes when a dispatch ends or every half second to observe
pause, cancel and cooldowns. It returns when the plan is done, failed or cancelled, or
when nothing more can move without a person (pending escalations, blocked tasks).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial

from convergio_tui.config.schema import Config
from convergio_tui.engine import budget, health
from convergio_tui.engine.context import ActiveRun, EngineContext
from convergio_tui.engine.delegate import Blocked, Busy, Prepared, prepare
from convergio_tui.engine.dispatch_pass import DispatchCounts, dispatch_pass
from convergio_tui.engine.events import Bus, Listener, PlanChanged, RunStarted, TaskChanged
from convergio_tui.engine.health_watch import HealthWatch
from convergio_tui.engine.pool import EnginePool
from convergio_tui.engine.ready import ReadyQueue
from convergio_tui.engine.recovery import Resumable, resume_step
from convergio_tui.engine.resume import PlanBusy, acquire_runner, recover, release_runner
from convergio_tui.engine.summary import RunSummary, summarize, with_handoff
from convergio_tui.engine.taskflow import process
from convergio_tui.engine.waves import current_wave, settle, start_wave
from convergio_tui.providers.redact import redactor_for
from convergio_tui.sandbox.confine import SandboxUnavailable, require_sandbox
from convergio_tui.store.db import close_database, immediate
from convergio_tui.store.faults import storage_fault
from convergio_tui.store.models import Plan, Task, Wave, now
from convergio_tui.store.statements import fetch, select_by_id
from convergio_tui.store.states import (
    PLAN_STARTABLE,
    TASK_DISPATCHABLE,
    TASK_IN_FLIGHT,
    WAVE_STARTABLE,
    Kind,
    PlanStatus,
    RunStatus,
    SummaryStatus,
    TaskStatus,
)
from convergio_tui.store.transitions import current, move_plan, move_run, move_task
from convergio_tui.tools.vault_errors import VaultUnavailable

log = logging.getLogger(__name__)

POLL_S = 0.5  # the loop wakes at least this often when nothing ends
CONTROL_POLL_S = 0.2  # pause, cancel and health are read at most this often while busy
BLOCKED_RETRY_S = 1.0  # blocked tasks are routed again at most this often


class Executor:
    """Runs (or resumes) one plan. See the module docstring and docs/architecture.md."""

    def __init__(self, config: Config, plan_id: int, *, parallel: int | None = None,
                 stop: threading.Event | None = None, listener: Listener | None = None) -> None:  # fmt: skip
        self.config = config
        self.plan_id = plan_id
        self.parallel = parallel
        self.stop_event = stop or threading.Event()
        self.bus = Bus(listener)
        self.summary: RunSummary | None = None
        self.error: BaseException | None = None
        self.fault: BaseException | None = None  # the storage fault that stopped the run
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._ctx: EngineContext | None = None
        self._queue = ReadyQueue(plan_id)
        self.counts = DispatchCounts()

    # -- public API ----------------------------------------------------------------------

    def run(self) -> RunSummary:
        """Block until the plan is done or nothing can move without a person.

        Raises :class:`~convergio_tui.engine.resume.PlanBusy` when another live runner
        owns the plan, :class:`~convergio_tui.sandbox.confine.SandboxUnavailable` when
        agents should be sandboxed and cannot be.
        """
        require_sandbox(self.config)  # refuse before anything is written or started
        ctx = EngineContext.for_plan(
            self.config, self.plan_id, self.bus, self.stop_event, self.parallel
        )
        self.bus.use_redactor(redactor_for(ctx.secrets().values()))
        acquire_runner(self.plan_id)
        self._ctx = ctx
        pool = EnginePool(ctx.parallel)
        watch: HealthWatch | None = None
        try:
            recovered = recover(ctx)
            self._begin()
            # Later checks run beside the loop: a slow probe must not hold dispatch.
            watch = HealthWatch(self.config, ctx.secrets(), self._wake.set).start()
            self._resume(ctx, pool, recovered.resume)
            self.summary = self._loop(ctx, pool, watch)
            if self.fault is not None:
                raise self.fault
            self.summary = with_handoff(ctx, self.summary)  # where the result is
        except BaseException:
            self.stop_event.set()  # running tasks go back to the queue, as on a stop
            raise
        finally:
            if watch is not None:
                watch.stop()
            if self.stop_event.is_set() or ctx.active:
                self._cancel_all(ctx)
            pool.shutdown(wait=True)
            release_runner(self.plan_id)
        return self.summary

    def start(self) -> threading.Thread:
        """Run on an engine-owned thread; the result lands in :attr:`summary`."""

        def target() -> None:
            try:
                self.run()
            except BaseException as exc:  # kept for the caller (the dashboard shows it)
                self.error = exc
                said = isinstance(exc, (PlanBusy, SandboxUnavailable, VaultUnavailable))
                if not said and storage_fault(exc, None) is None:
                    log.exception("executor of plan %s failed", self.plan_id)
            finally:
                close_database()  # this engine thread's own connection

        self._thread = threading.Thread(target=target, name=f"convergio-executor-{self.plan_id}")
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = None) -> None:
        """Stop dispatching, kill running process trees (their tasks go back to the queue)
        and return once the threads have ended."""
        self.stop_event.set()
        self._wake.set()
        if self._ctx is not None:
            self._cancel_all(self._ctx)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # -- the loop ------------------------------------------------------------------------

    def _begin(self) -> None:
        plan = Plan.get_by_id(self.plan_id)
        started_at = plan.started_at or now()
        if move_plan(self.plan_id, PlanStatus.DOING, frm=PLAN_STARTABLE, started_at=started_at,
                     finished_at=None):  # fmt: skip
            self.bus.emit(PlanChanged(self.plan_id, PlanStatus.DOING))
        # The project's vault values reach the checks as they reach a run.
        health.refresh(self.config, secrets=self._ctx.secrets() if self._ctx else None)

    def _finish_plan(self, status: PlanStatus, message: str = "") -> RunSummary:
        if move_plan(self.plan_id, status, finished_at=now()):
            self.bus.emit(PlanChanged(self.plan_id, status))
            return summarize(self.plan_id, status, message)
        # A person cancelled it meanwhile: that decision stands.
        return summarize(self.plan_id, str(current(Kind.PLAN, self.plan_id)), message)

    def _loop(self, ctx: EngineContext, pool: EnginePool, watch: HealthWatch) -> RunSummary:
        last_retry = last_control = 0.0
        waiting_since: float | None = None  # when only cooling providers began to hold us
        started: set[int] = set()
        plan = Plan.get_by_id(self.plan_id)
        wave: Wave | None = None
        while True:
            self._wake.clear()
            if self.stop_event.is_set():
                return summarize(
                    self.plan_id, SummaryStatus.STOPPED, "stopped; run again to resume"
                )
            # Pause, cancel and health are looked at a few times a second, not on every
            # completion: with many short tasks these reads would dominate the loop.
            if not ctx.active or time.monotonic() - last_control >= CONTROL_POLL_S:
                last_control = time.monotonic()
                if watch.take_changed():
                    ctx.forget_health()
                plan = self._plan()
                self._observe_cancellations(ctx)
                wave = None  # read again below
            if plan.status == PlanStatus.CANCELLED:
                self._cancel_all(ctx)
                return summarize(self.plan_id, SummaryStatus.CANCELLED, "plan cancelled")
            timeout = POLL_S
            if wave is None or not ctx.active:
                wave = current_wave(self.plan_id)  # a wave only ends when nothing runs in it
            if wave is None:
                if not ctx.active:
                    return self._finish_plan(PlanStatus.DONE)
            elif plan.status != PlanStatus.PAUSED:
                if wave.id not in started or wave.status in WAVE_STARTABLE:
                    problem = start_wave(ctx, wave)  # idempotent: repairs a half-started wave
                    if problem and not ctx.active:
                        return summarize(self.plan_id, plan.status, problem)
                    started.add(wave.id)
                retry = time.monotonic() - last_retry >= BLOCKED_RETRY_S
                if retry:
                    last_retry = time.monotonic()
                self._dispatch(ctx, pool, wave.id, retry)
                if not ctx.active:
                    # About to settle the wave: read every task again first, so nothing
                    # the incremental queue missed can make a wave look stuck or finished.
                    self._queue.reload()
                    self._dispatch(ctx, pool, wave.id, retry)
                if ctx.active:
                    waiting_since = None
                else:
                    settled = settle(ctx, wave)
                    if settled.action in ("advance", "continue"):
                        continue
                    if settled.action == "failed":
                        return self._finish_plan(PlanStatus.FAILED, settled.detail)
                    if settled.action == "stuck":
                        return summarize(self.plan_id, plan.status, settled.detail)
                    waiting_since = waiting_since or time.monotonic()
                    if time.monotonic() - waiting_since >= self.config.execution.max_wait_s:
                        return self._gave_up_waiting(settled.detail)
                    until = health.next_recovery_at(self.config.enabled_providers())
                    if until is not None:
                        timeout = min(max(0.05, until - now() + 0.05), BLOCKED_RETRY_S)
            self._wake.wait(timeout)

    def _gave_up_waiting(self, detail: str) -> RunSummary:
        """``execution.max_wait_s`` passed with nothing able to run but cooling or down
        providers: end (the tasks stay waiting, with their reasons; run again later)."""
        waited = self.config.execution.max_wait_s
        message = f"stopped waiting after {waited:g}s: {detail}; run again to resume"
        self.bus.journal("plan.waiting", message, level="warning", plan_id=self.plan_id)
        return summarize(self.plan_id, SummaryStatus.WAITING, message)

    def _dispatch(
        self, ctx: EngineContext, pool: EnginePool, wave_id: int, retry_blocked: bool
    ) -> None:
        """One pass over the wave's ready tasks (:mod:`engine.dispatch_pass`)."""
        dispatch_pass(ctx, self._queue, wave_id, retry_blocked,
                      partial(self._dispatch_one, ctx, pool), self.stop_event, self.counts)  # fmt: skip

    def _dispatch_one(
        self, ctx: EngineContext, pool: EnginePool, task: Task
    ) -> Prepared | Blocked | Busy | None:
        """Route ``task`` and start it: :func:`~convergio_tui.engine.delegate.prepare`'s
        outcome (a :class:`Prepared` is running now)."""
        outcome = prepare(ctx, task)
        if outcome is None or isinstance(outcome, Busy):
            return outcome
        if isinstance(outcome, Blocked):
            (ctx.waiting.add if outcome.waiting else ctx.waiting.discard)(task.id)
            changed = task.status != TaskStatus.BLOCKED or task.blocked_reason != outcome.reason
            if changed and move_task(task.id, TaskStatus.BLOCKED, frm=TASK_DISPATCHABLE,
                                     blocked_reason=outcome.reason):  # fmt: skip
                self.bus.emit(TaskChanged(task.id, TaskStatus.BLOCKED, task.code, outcome.reason))
            return outcome
        ctx.waiting.discard(task.id)
        ctx.codes[task.id] = task.code
        cancel = threading.Event()
        with ctx.lock:
            ctx.active[task.id] = ActiveRun(task.id, outcome.run_id, outcome.provider, cancel)
        self.bus.emit(RunStarted(outcome.run_id, task.id, task.code, outcome.provider, outcome.model,
                                 str(outcome.log_path), outcome.fallback_from))  # fmt: skip
        self.bus.emit(
            TaskChanged(
                task.id, TaskStatus.RUNNING, task.code, f"{outcome.provider}·{outcome.model}"
            )
        )

        pool.submit(self._job(ctx, outcome, lambda: process(ctx, outcome, cancel)))
        return outcome

    def _job(
        self, ctx: EngineContext, prep: Prepared, work: Callable[[], None]
    ) -> Callable[[], None]:
        """``work`` on ``prep``'s task as a pool job; the scheduler wakes when it ends."""

        def job() -> None:
            try:
                work()
            except Exception as exc:  # a bug or a broken repository: stop this task, not the plan
                if not self._storage_stop(exc):
                    log.exception("dispatch of %s failed", prep.code)
                    self._engine_error(ctx, prep.required_task_id, prep.code, prep.run_id, exc)
            finally:
                ctx.dispatch_ended(prep.required_task_id)
                self._wake.set()

        return job

    def _resume(self, ctx: EngineContext, pool: EnginePool, items: list[Resumable]) -> None:
        """Tasks whose agent finished before a crash go on at the step that was lost
        (:mod:`engine.recovery`), counted as running work like any dispatch."""
        for item in items:
            prep = item.prep
            with ctx.lock:
                task_id = prep.required_task_id
                ctx.codes[task_id] = prep.code
                ctx.active[task_id] = ActiveRun(task_id, prep.run_id, prep.provider,
                                                threading.Event(), item.space.worktree)  # fmt: skip
            pool.submit(self._job(ctx, prep, partial(resume_step, ctx, item)))

    def _storage_stop(self, exc: BaseException) -> bool:
        """A locked, full or damaged database stops the whole run, not the task: every
        write would fail alike. What could not be written stays for recovery, which the
        next run does first (runs closed, reservations released, tasks re-queued)."""
        if storage_fault(exc, None) is None:
            return False
        if self.fault is None:
            self.fault = exc
        self.stop_event.set()
        self._wake.set()
        return True

    def _engine_error(
        self, ctx: EngineContext, task_id: int, code: str, run_id: int, exc: Exception
    ) -> None:
        reason = f"engine error: {type(exc).__name__}: {exc}"[:1000]
        with immediate():
            if move_run(run_id, RunStatus.FAILED, frm=[RunStatus.RUNNING], finished_at=now(),
                        error_class="engine"):  # fmt: skip
                budget.release(run_id)
        ctx.hard_blocked.add(task_id)
        if move_task(task_id, TaskStatus.BLOCKED, frm=TASK_IN_FLIGHT, blocked_reason=reason):
            self.bus.emit(TaskChanged(task_id, TaskStatus.BLOCKED, code, reason))
        self.bus.journal(
            "engine.error",
            f"{code}: {reason}",
            level="error",
            plan_id=self.plan_id,
            task_id=task_id,
        )

    def _plan(self) -> Plan:
        """The plan's row, read a few times a second: fixed text (store/statements.py)."""
        plan = select_by_id(Plan, self.plan_id)
        if plan is None:
            raise Plan.DoesNotExist(f"plan {self.plan_id}")
        return plan

    def _observe_cancellations(self, ctx: EngineContext) -> None:
        with ctx.lock:
            active = dict(ctx.active)
        if not active:
            return
        count = len(active)

        def query() -> object:  # its text is built once per count of running tasks
            return Task.select(Task.id).where(Task.id.in_([0] * count),
                                              Task.status == TaskStatus.CANCELLED)  # fmt: skip

        for (task_id,) in fetch(("cancelled", count), query, (*active, TaskStatus.CANCELLED)):
            active[task_id].cancel.set()

    def _cancel_all(self, ctx: EngineContext) -> None:
        with ctx.lock:
            for active in ctx.active.values():
                active.cancel.set()


__all__ = ["Executor", "RunSummary"]
