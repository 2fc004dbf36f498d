"""Dispatch: route a task again, reserve its budget, run its CLI, charge what it cost.

:func:`prepare` runs on the scheduler thread (one dispatch decision at a time, so counts
of running work are exact); :func:`execute` runs on an engine worker thread.

Routing at dispatch uses the health and budget of this moment; a provider other than the
one assigned before is a recorded fallback (``run.fallback_from``, ``run.route_reasons``
and an ``event`` of kind ``route.fallback``). A premium reservation refused because a
parallel dispatch took the headroom routes the task again without premium providers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from convergio_tui import paths
from convergio_tui.config.schema import CostTier
from convergio_tui.engine import budget
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.planner import route_request
from convergio_tui.engine.privacy import Effective
from convergio_tui.engine.router import BudgetView, Decision, RouteRequest, route
from convergio_tui.engine.snapshot import budget_view
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Event, Run, Task, now
from convergio_tui.store.statements import insert_row, update_by_id
from convergio_tui.store.states import TASK_DISPATCHABLE, TaskStatus
from convergio_tui.store.transitions import move_task


@dataclass(frozen=True)
class Prepared:
    """A dispatch decided and recorded: the run row exists, budget is reserved."""

    task_id: int | None  # None: a run of the wave itself (Thor's cross-review)
    code: str
    title: str
    privacy: str
    round: int
    prompt: str
    run_id: int
    provider: str
    model: str
    reasons: tuple[str, ...]
    fallback_from: str | None
    estimate_usd: float
    timeout_s: float
    log_path: Path
    wave_id: int | None = None
    read_only: bool = False  # a planning run (engine/planning/): it may not write its cwd
    # What the dispatch reserved for the run: 0.0 when it is known to be nothing (a free
    # provider), so settling it reads no ledger; None: read the ledger (a premium run,
    # a run recovered after a crash).
    reserved_usd: float | None = None

    @property
    def commit_message(self) -> str:
        """The message of the round's commit on the task branch (recovery and
        ``worktrees.reset_worktree`` recognise a round's commit by it)."""
        return f"convergio({self.code}): {self.title} [round {self.round}]"

    @property
    def required_task_id(self) -> int:
        """``task_id`` where the run must be a task's (the task flow, the scheduler's
        jobs); a wave's cross-review run reaching them would be a bug."""
        if self.task_id is None:
            raise ValueError(f"{self.code} is a wave's run, not a task's")
        return self.task_id


@dataclass(frozen=True)
class Blocked:
    """No provider can take the task now. ``waiting``: only cooling providers stand in the
    way, so it will move by itself; otherwise a person must act."""

    reason: str
    waiting: bool


@dataclass(frozen=True)
class Busy:
    """The chosen provider is at its ``max_parallel``: try again when a run ends."""

    provider: str


class _Abort(Exception):
    """Roll the dispatch transaction back and return ``outcome`` instead."""

    def __init__(self, outcome: Blocked | Busy | None) -> None:
        super().__init__("dispatch aborted")
        self.outcome = outcome


def dispatch_request(ctx: EngineContext, task: Task) -> tuple[RouteRequest, Effective]:
    """The router's view of ``task`` now: its privacy and the project's allow-list as
    they stand at this dispatch (they only ever tighten, see :mod:`engine.privacy`)."""
    eff = ctx.effective_privacy(task.privacy)
    req = replace(route_request(task, ctx.project, eff.privacy),
                  project_allowed=eff.project_allowed)  # fmt: skip
    return req, eff


def _blocked(ctx: EngineContext, task: Task, decision: Decision) -> Blocked:
    req, _ = dispatch_request(ctx, task)
    health = ctx.health()
    reason = decision.reasons[-1].removeprefix("blocked: ") if decision.reasons else "no provider"
    not_cooling = {k: v for k, v in health.items() if v.state != "cooldown"}
    budget_now = ctx.budget_for(ctx.premium_possible(req))
    waiting = not route(req, ctx.config, budget_now, not_cooling).blocked
    if waiting:
        cooling = [f"{k} ({v.detail})" for k, v in health.items() if v.state == "cooldown"]
        reason = "waiting for a provider to cool down: " + "; ".join(cooling)
    return Blocked(reason, waiting)


def prepare(ctx: EngineContext, task: Task) -> Prepared | Blocked | Busy | None:
    """Decide where ``task`` runs now and record the dispatch (run row, reservation, task
    ``running``) in one transaction. None when the task changed under us (cancelled)."""
    config = ctx.config
    req, eff = dispatch_request(ctx, task)
    if ctx.config_problem is not None:  # read by dispatch_request: an edit gone wrong
        return Blocked(ctx.config_problem, waiting=True)
    decision = route(req, config, ctx.budget_for(ctx.premium_possible(req)), ctx.health())
    decision = replace(decision, reasons=(*eff.reasons, *decision.reasons))
    if decision.blocked:
        return _blocked(ctx, task, decision)
    busy = ctx.busy_providers()
    if (
        busy.get(decision.provider or "", 0)
        >= config.providers[decision.provider or ""].max_parallel
    ):
        return Busy(decision.provider or "")
    try:
        with immediate():
            return _record(ctx, task, decision, busy, req)
    except _Abort as abort:
        return abort.outcome


def _record(ctx: EngineContext, task: Task, decision: Decision, busy: dict[str, int],
            req: RouteRequest) -> Prepared:  # fmt: skip
    config = ctx.config
    assert decision.provider is not None and decision.model is not None
    planned = task.provider
    first_choice = decision.provider
    run_provider: str = decision.provider
    run_model: str | None = decision.model
    run_id = insert_row(Run, task=task.id, provider=run_provider, model=run_model,
                        round=task.round, engine_pid=os.getpid(),
                        route_reasons=list(decision.reasons))  # fmt: skip
    decision = reserve_or_reroute(ctx, req, decision, run_id)
    if decision.blocked:
        raise _Abort(_blocked(ctx, task, decision))
    assert decision.provider is not None
    if decision.provider != first_choice:
        if busy.get(decision.provider, 0) >= config.providers[decision.provider].max_parallel:
            raise _Abort(Busy(decision.provider))
        run_provider, run_model = decision.provider, decision.model
    # Asserted for both routes above; mypy forgets it when ``decision`` is rebound.
    assert decision.provider is not None
    final = decision.provider
    if planned and planned != final:
        fallback_from: str | None = planned
    else:
        fallback_from = first_choice if first_choice != final else None
    reasons = list(decision.reasons)
    why = "; ".join(r for r in reasons if r.startswith(("health:", "budget:"))) or "routing changed"
    if fallback_from:
        reasons.append(f"fallback: {fallback_from} -> {decision.provider} because {why}")
    log_path = paths.run_log(ctx.identity, run_id)
    update_by_id(Run, run_id, fallback_from=fallback_from, route_reasons=reasons,
                 log_path=str(log_path), provider=run_provider, model=run_model)  # fmt: skip
    moved = move_task(
        task.id, TaskStatus.RUNNING, frm=TASK_DISPATCHABLE, provider=decision.provider,
        model=decision.model, route_reasons=reasons, blocked_reason=None, privacy=req.privacy,
    )  # fmt: skip
    if not moved:
        raise _Abort(None)
    if fallback_from:
        Event.create(
            level="warning", kind="route.fallback", plan=ctx.plan_id, task=task.id,
            message=f"{task.code}: {fallback_from} -> {decision.provider} because {why}",
            data={"from": fallback_from, "to": decision.provider, "run": run_id},
        )  # fmt: skip
    provider = config.providers[decision.provider]
    timeout = task.timeout_s or provider.timeout_s
    # Only a premium provider reserves (reserve_or_reroute): a run on any other has none.
    reserved = None if provider.cost_tier is CostTier.PREMIUM else 0.0
    return Prepared(
        task.id, task.code, task.title, req.privacy, task.round, task.prompt, run_id,
        decision.provider, decision.model or "", tuple(reasons), fallback_from,
        decision.estimate_usd, float(timeout), log_path, reserved_usd=reserved,
    )  # fmt: skip


def reserve_or_reroute(
    ctx: EngineContext, req: RouteRequest, decision: Decision, run_id: int
) -> Decision:
    """Reserve the worst case of ``decision`` for run ``run_id`` (engine/reservation.py;
    the CLI's hard limit follows from it), or, when a parallel dispatch took the headroom
    since we routed, route ``req`` again without premium providers: that decision (maybe
    blocked), with a reason saying why. Call inside the transaction that made the run row."""
    assert decision.provider is not None and decision.model is not None
    config = ctx.config
    premium = config.providers[decision.provider].cost_tier is CostTier.PREMIUM
    if not premium:
        return decision
    if budget.reserve_run(config, decision.provider, decision.model, run_id) is not None:
        return decision
    view = budget_view(config)
    second = route(req, config, BudgetView(view.cap_usd, 0.0, view.cap_usd, True), ctx.health())
    if second.blocked:
        return second
    note = (f"budget: reserving ${decision.reserve_usd:.2f} for {decision.provider} was "
            "refused (parallel dispatches took the headroom); routed again without premium")  # fmt: skip
    return Decision(second.provider, second.model, (*second.reasons, note), second.estimate_usd)


def privacy_violation(ctx: EngineContext, prep: Prepared) -> str | None:
    """Defence in depth, right before the subprocess starts: a sensitive task may only go
    to a ``local`` provider and a ``privacy_safe`` model. The refusal text, or None."""
    if prep.privacy != "sensitive":
        return None
    provider = ctx.config.providers.get(prep.provider)
    if provider is None or provider.privacy_level != "local":
        return f"sensitive task refused: {prep.provider} is not a local provider"
    model = provider.model(prep.model)
    if model is None or not model.privacy_safe:
        return f"sensitive task refused: model {prep.model} of {prep.provider} is not privacy_safe"
    return None


def mark_run_started(run_id: int, pid: int) -> None:
    """``on_start``: record the agent's pid and the moment it started (resume compares the
    process's create time with it before killing an orphan)."""
    update_by_id(Run, run_id, pid=pid, started_at=now())


def mark_run_placed(run_id: int, node: str) -> None:
    """A run sent to a Ray cluster started on ``node``: recorded for the dashboard and
    ``convergio run``. No pid: the agent's process is on another machine, and recovery
    must never take a local process for it."""
    Run.update(node=node, started_at=now()).where(Run.id == run_id).execute()
