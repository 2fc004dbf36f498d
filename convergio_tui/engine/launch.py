"""Run one prepared dispatch on an engine worker thread and settle what it cost.

Order matters: the privacy invariant is checked right before the subprocess starts; the
run row is finished and the ledger settled in one transaction (a killed engine leaves
either both or neither, so a resumed engine never charges twice); a rate-limit or auth
error cools the provider down before this thread hands the task back to the scheduler,
so sibling tasks dispatched after it route around that provider.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.engine import budget, health
from convergio_tui.engine.backend import Recipe, RunJob, backend_for
from convergio_tui.engine.charging import Charge, charge_for
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import Prepared, privacy_violation
from convergio_tui.engine.overrun import overrun_event
from convergio_tui.engine.partial_charge import partial_charge
from convergio_tui.engine.recovery_hooks import crash_point
from convergio_tui.providers import ProcessOutcome, ProviderAdapter, ProviderResult, get_adapter
from convergio_tui.providers.redact import Redactor
from convergio_tui.providers.result import ErrorClass
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Run, Task, now
from convergio_tui.store.states import RUN_STOPPED, IllegalTransition, Kind, RunStatus, TaskStatus
from convergio_tui.store.transitions import current, move_run

ARGV_ELEMENT_MAX = 300  # the prompt is in the log; the run row keeps a readable argv


@dataclass(frozen=True)
class Executed:
    """How a dispatch ended. ``status`` is a :class:`RunStatus`: succeeded, failed, timeout,
    cancelled, interrupted (the engine stopped), or refused (never started)."""

    prep: Prepared
    status: str
    success: bool
    text: str
    error: str
    error_class: str
    cost_usd: float


def adapter_for(ctx: EngineContext, provider: str) -> ProviderAdapter:
    """The adapter module by provider name, else by the CLI the provider runs."""
    return adapter_in(ctx.config, provider)


def adapter_in(config: Config, provider: str) -> ProviderAdapter:
    """:func:`adapter_for` under ``config`` (raises KeyError for an unknown provider)."""
    try:
        return get_adapter(provider)
    except KeyError:
        return get_adapter(Path(config.providers[provider].cli[0]).name)


def _finish(ctx: EngineContext, prep: Prepared, status: str, *, result: ProviderResult | None,
            exit_code: int | None, charge: Charge | None, argv: list[str] | None = None) -> None:  # fmt: skip
    """Close the run row and settle (or only release) its budget, atomically. A run that
    is no longer ``running`` is refused (IllegalTransition) with nothing charged: a run is
    closed, and settled, once."""
    values: dict[str, object] = {"finished_at": now(), "exit_code": exit_code}
    if argv is not None:
        redact = Redactor(ctx.secrets().values())
        values["argv"] = [
            redact(a if len(a) <= ARGV_ELEMENT_MAX else a[:ARGV_ELEMENT_MAX] + "…") for a in argv
        ]
    if result is not None:
        values.update(input_tokens=result.input_tokens, output_tokens=result.output_tokens,
                      error_class=result.error_class.value)  # fmt: skip
    if charge is not None:
        values.update(cost_usd=charge.usd, premium_requests=charge.premium_requests,
                      ai_credits=charge.credits)  # fmt: skip
    with immediate():
        if not move_run(prep.run_id, status, frm=[RunStatus.RUNNING], **values):
            was = current(Kind.RUN, prep.run_id)
            raise IllegalTransition(f"run {prep.run_id} is {was}, not running: not closed again")
        if charge is None:
            budget.release(prep.run_id)
        else:
            budget.settle(prep.provider, prep.model, prep.run_id, usd=charge.usd,
                          premium=charge.premium, premium_requests=charge.premium_requests,
                          note=charge.note, credits=charge.credits,
                          reserved=prep.reserved_usd)  # fmt: skip


def finish_unstarted(ctx: EngineContext, prep: Prepared, error_class: str, error: str) -> None:
    """Close a run whose process never started (worktree refused...): nothing charged."""
    Run.update(error_class=error_class).where(Run.id == prep.run_id).execute()
    _finish(ctx, prep, RunStatus.FAILED, result=None, exit_code=None, charge=None)


def _refuse(ctx: EngineContext, prep: Prepared, why: str, error_class: str = "privacy") -> Executed:
    finish_unstarted(ctx, prep, error_class, why)
    ctx.bus.journal(f"{error_class}.refused", f"{prep.code}: {why}", level="error",
                    plan_id=ctx.journal_plan, task_id=prep.task_id)  # fmt: skip
    return Executed(prep, RunStatus.REFUSED, False, "", why, error_class, 0.0)


def _status(ctx: EngineContext, timed_out: bool, cancelled: bool, success: bool) -> str:
    if cancelled:
        return RunStatus.INTERRUPTED if ctx.stop.is_set() else RunStatus.CANCELLED
    if timed_out:
        return RunStatus.TIMEOUT
    return RunStatus.SUCCEEDED if success else RunStatus.FAILED


def _cancelled(task_id: int | None) -> bool:  # None: a wave's cross-review run
    return Task.select().where(Task.id == task_id, Task.status == TaskStatus.CANCELLED).exists()


def execute(ctx: EngineContext, prep: Prepared, cwd: Path, cancel: threading.Event,
            branch: str | None = None) -> Executed:  # fmt: skip
    """Run the provider CLI for ``prep`` in ``cwd`` (confined, watched by the integrity
    check); record the run, charge and health. ``branch`` is the task's own branch."""
    refusal = privacy_violation(ctx, prep)
    if refusal is not None:
        return _refuse(ctx, prep, refusal)
    provider = ctx.config.providers[prep.provider]
    adapter = adapter_for(ctx, prep.provider)
    # A NUL cannot travel in argv (an agent's garbage output quoted back by Thor may hold one).
    prompt = prep.prompt.replace("\x00", "")
    # The run's hard spending limit, where its CLI has one (engine/reservation.py).
    limit = budget.run_limit(ctx.config, prep.provider, prep.model, prep.run_id,
                             prep.reserved_usd)  # fmt: skip
    recipe = Recipe(adapter.NAME, tuple(provider.cli), prompt, prep.model, limit)
    invocation = recipe.build(cwd)
    job = RunJob(prep, invocation, cwd, branch, cancel, recipe)
    ran = backend_for(ctx, job).run(ctx, job)
    if ran.outcome is None:
        error_class, why = ran.refusal or ("engine", "the run did not start")
        return _refuse(ctx, prep, why, error_class=error_class)
    outcome, findings = ran.outcome, list(ran.findings)
    if ran.lost is not None:
        return _lost(ctx, prep, adapter, outcome, ran.lost)
    result = adapter.parse(outcome)
    if outcome.timed_out and result.error_class is not ErrorClass.timeout:
        result = result.as_failure(ErrorClass.timeout,
                                   result.error or f"timed out after {prep.timeout_s:g}s")  # fmt: skip
    if findings:
        evidence = "integrity check failed: " + "; ".join(findings)
        result = result.as_failure(ErrorClass.integrity, evidence)
        ctx.bus.journal("integrity.violation", f"{prep.code}: {evidence}", level="error",
                        plan_id=ctx.journal_plan, task_id=prep.task_id)  # fmt: skip
    status = _status(ctx, outcome.timed_out, outcome.cancelled, result.success)
    killed = outcome.exit_code is None or outcome.exit_code < 0
    if killed and status not in RUN_STOPPED and _cancelled(prep.task_id):
        status = RunStatus.CANCELLED  # a person cancelled it and killed the tree from elsewhere
    started = status != RunStatus.INTERRUPTED and (outcome.pid is not None or ran.started_elsewhere)
    charge = run_charge(ctx, prep, result) if started else None
    crash_point("agent_exited", prep.code)  # test-only (recovery tests); a no-op otherwise
    return conclude(ctx, prep, result, status, exit_code=outcome.exit_code, charge=charge,
                    argv=list(invocation.argv), spawn_error=outcome.spawn_error or "")  # fmt: skip


def _lost(ctx: EngineContext, prep: Prepared, adapter: ProviderAdapter,
          outcome: ProcessOutcome, why: str) -> Executed:  # fmt: skip
    """The machine running ``prep`` was lost mid-run (a dead node): the run is closed
    ``interrupted``, charged what its streamed log had reported (else its reservation is
    only released) and its task runs again, elsewhere; nothing is charged twice."""
    charge = partial_charge(ctx.config, prep.provider, prep.model, adapter.NAME,
                            outcome.stdout_lines, "cut short by a lost node")  # fmt: skip
    Run.update(error_class="node_lost").where(Run.id == prep.run_id).execute()
    ctx.bus.journal("run.node_lost", f"{prep.code}: {why}; it runs again", level="warning",
                    plan_id=ctx.journal_plan, task_id=prep.task_id)  # fmt: skip
    _finish(ctx, prep, RunStatus.INTERRUPTED, result=None, exit_code=outcome.exit_code,
            charge=charge)  # fmt: skip
    return Executed(prep, RunStatus.INTERRUPTED, False, "", why, "node_lost",
                    charge.usd if charge else 0.0)  # fmt: skip


def run_charge(ctx: EngineContext, prep: Prepared, result: ProviderResult) -> Charge:
    """What a run that started costs, from what its CLI reported (:mod:`engine.charging`)."""
    provider = ctx.config.providers[prep.provider]
    return charge_for(
        provider, provider.model(prep.model), success=result.success, cost_usd=result.cost_usd,
        input_tokens=result.input_tokens, output_tokens=result.output_tokens,
        premium_requests=result.premium_requests, estimate_usd=prep.estimate_usd,
        credits=result.credits, reserved_usd=_reserved(prep) or None,
    )  # fmt: skip


def _reserved(prep: Prepared) -> float:
    """What ``prep``'s run reserved: known at dispatch for a free provider, else read."""
    known = prep.reserved_usd
    return budget.reserved_for(prep.run_id) if known is None else known


def conclude(ctx: EngineContext, prep: Prepared, result: ProviderResult, status: str, *,
             exit_code: int | None, charge: Charge | None, argv: list[str] | None = None,
             spawn_error: str = "") -> Executed:  # fmt: skip
    """Close the run row and settle ``charge`` (or only release the reservation) in one
    transaction, then health feedback, budget alerts and the result artifact.

    Also how recovery settles a run whose agent finished before the engine died
    (:mod:`engine.recovery`): settle is once per run, so this never charges twice.
    """
    _finish(ctx, prep, status, result=result, exit_code=exit_code, charge=charge, argv=argv)
    _after(ctx, prep, result, status, bool(charge and charge.premium and charge.usd > 0))
    return Executed(prep, status, result.success and status == RunStatus.SUCCEEDED, result.text,
                    result.error or spawn_error, result.error_class.value,
                    charge.usd if charge else 0.0)  # fmt: skip


def _after(
    ctx: EngineContext, prep: Prepared, result: ProviderResult, status: str, charged_premium: bool
) -> None:
    """Health feedback, budget alerts and the result artifact."""
    if status in RUN_STOPPED:
        return
    cls = result.error_class.value
    ctx_ok = ctx.providers_ok
    if cls in health.COOLING_ERRORS:
        ctx_ok.discard(prep.provider)
        until = health.report_run_error(ctx.config, prep.provider, cls, result.error)
        ctx.forget_health()
        wait = f" for {max(0.0, (until or now()) - now()):.0f}s"
        ctx.bus.journal("provider.cooldown", f"{prep.provider} cooling down{wait} after "
                        f"{cls.replace('_', ' ')} in {prep.code}: {result.error[:200]}",
                        level="warning", plan_id=ctx.journal_plan, task_id=prep.task_id)  # fmt: skip
    elif result.success and prep.provider not in ctx_ok:
        health.report_run_success(prep.provider)  # once per streak, not per run
        ctx_ok.add(prep.provider)
    if charged_premium:
        overrun = overrun_event(prep.run_id)
        if overrun is not None:
            ctx.bus.notify(overrun.level, overrun.kind, overrun.message)
        for event in budget.raise_alerts(ctx.config.budget, ctx.journal_plan):
            ctx.bus.notify(event.level, event.kind, event.message)
    if result.text:
        artifact = prep.log_path.with_name(f"{prep.run_id}.result.txt")
        paths.write_private_text(artifact, result.text)  # agent output: the user's eyes only
