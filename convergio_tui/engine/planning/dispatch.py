"""One planning run through the engine's one dispatch path.

Exactly what a task's dispatch does, for a run that belongs to no task, wave or plan yet
(a ``run`` row with ``task`` and ``wave`` NULL): route with the reasons (type ``plan`` in
``routing.by_type``, priority P1, the project's privacy and ``allowed_providers`` as they
stand now) -> health -> reserve the worst case (``reserve_or_reroute``: a refused premium
reservation routes again without premium) -> the privacy re-check right before spawning
-> the sandbox, here **read-only**: the agent may read the repository, never write it ->
run -> charge and settle (``engine.launch.execute``). The planner gets no vault secrets.

With ``sandbox.mode: off`` nothing can make the checkout read-only: its fingerprint (HEAD,
index, changed and untracked files) is compared before and after, and a planner that
changed it stops the planning.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.engine import budget, health
from convergio_tui.engine.charging import Charge
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import Prepared, reserve_or_reroute
from convergio_tui.engine.events import Bus, Listener
from convergio_tui.engine.integrity import checkout_fingerprint
from convergio_tui.engine.launch import adapter_in
from convergio_tui.engine.partial_charge import partial_charge
from convergio_tui.engine.privacy import effective, strictest
from convergio_tui.engine.projects import ProjectRef
from convergio_tui.engine.recovery_log import read_lines, rebuild
from convergio_tui.engine.resume import runner_alive
from convergio_tui.engine.router import RouteRequest, route
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Project, Run, database_identity, now
from convergio_tui.store.states import RunStatus
from convergio_tui.store.transitions import move_run

PLAN_TYPE = "plan"  # its rule in routing.by_type (claude first in the shipped configuration)
PLAN_PRIORITY = "P1"
NO_PLAN = 0  # EngineContext.plan_id of a planning run: plan ids start at 1
RUN_CODE = "plan-new"  # CONVERGIO_TASK of the agent, and the journal's name for the run


@dataclass(frozen=True)
class Target:
    """Where planning for a project may go: its privacy and provider limit now, and why."""

    ref: ProjectRef
    privacy: str
    allowed: tuple[str, ...] | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Attempt:
    """How one planning run ended. ``blocked``: no provider could take it (nothing ran);
    ``changed``: the agent changed the checkout (only possible unsandboxed)."""

    run_id: int | None
    provider: str | None
    model: str | None
    reasons: tuple[str, ...]
    success: bool = False
    text: str = ""
    error: str = ""
    cost_usd: float = 0.0
    blocked: bool = False
    changed: bool = False
    status: str = ""


def planning_target(config: Config, ref: ProjectRef) -> Target:
    """The project's privacy and allow-list as a run of it would be routed now: the
    strictest of the configured and the stored level, and both allow-lists."""
    known = Project.get_or_none(Project.path == ref.path)
    stored = strictest([ref.privacy, known.privacy if known is not None else ref.privacy])
    allowed = known.allowed_providers if known is not None else ref.allowed_providers
    eff = effective(config, project_path=ref.path, stored_project_privacy=stored,
                    stored_project_allowed=allowed, plan_privacy=None, task_privacy=None)  # fmt: skip
    return Target(ref, eff.privacy, eff.project_allowed, eff.reasons)


def planning_request(target: Target, prompt: str) -> RouteRequest:
    """The router's view of a planning run."""
    return RouteRequest(type=PLAN_TYPE, priority=PLAN_PRIORITY, privacy=target.privacy,
                        prompt_chars=len(prompt), project_allowed=target.allowed)  # fmt: skip


def candidates(config: Config, target: Target) -> list[str]:
    """The enabled providers privacy lets see this project: the only ones health checks
    (a sensitive project's planning never starts a cloud CLI, not even for ``--version``)."""
    rule = config.routing.by_privacy.get(target.privacy)  # type: ignore[call-overload]
    names = set(rule.allowed_providers) if rule else set()
    if target.allowed is not None:
        names &= set(target.allowed)
    if target.privacy == "sensitive":
        names = {n for n in names if config.providers[n].privacy_level == "local"}
    return [n for n in config.enabled_providers() if n in names]


def planning_context(config: Config, target: Target, stop: threading.Event,
                     listener: Listener | None = None) -> EngineContext:  # fmt: skip
    """An engine context for planning runs: no plan (``NO_PLAN``), the project as an
    unsaved row (nothing is stored before the plan is imported), no vault secrets."""
    ref = target.ref
    project = Project(name=ref.name, path=ref.path, privacy=target.privacy,
                      allowed_providers=list(target.allowed) if target.allowed else None,
                      base_branch=ref.base_branch)  # fmt: skip
    # plan_uid names no folder of the worktree root: the integrity check has no siblings.
    return EngineContext(config, NO_PLAN, project, Bus(listener), stop, 1,
                         plan_uid="planning", _secrets={})  # fmt: skip


def check_health(ctx: EngineContext, target: Target) -> None:
    """Refresh the stale health of the providers this project may plan on."""
    health.refresh(ctx.config, providers=candidates(ctx.config, target), secrets={})
    ctx.forget_health()


def close_stale_runs(config: Config) -> list[int]:
    """Close planning runs a dead ``plan new`` left ``running``: ``interrupted``, charged
    what their streamed log had reported (as a task run cut short by a crash is), else
    their reservation released. Returns their ids."""
    stale = Run.select().where(Run.task.is_null(), Run.wave.is_null(),
                               Run.status == RunStatus.RUNNING)  # fmt: skip
    closed = []
    for run in stale:
        if run.engine_pid == os.getpid() or runner_alive(run.engine_pid, None):
            continue  # another plan new, still drafting
        charge = _logged_charge(config, run)
        with immediate():
            if move_run(run.id, RunStatus.INTERRUPTED, frm=[RunStatus.RUNNING],
                        error_class="interrupted", finished_at=now(),
                        cost_usd=charge.usd if charge else 0.0,
                        premium_requests=charge.premium_requests if charge else 0.0):  # fmt: skip
                if charge is None:
                    budget.release(run.id)
                else:
                    budget.settle(run.provider, run.model, run.id, usd=charge.usd,
                                  premium=charge.premium, premium_requests=charge.premium_requests,
                                  note=charge.note)  # fmt: skip
                closed.append(int(run.id))
    return closed


def _logged_charge(config: Config, run: Run) -> Charge | None:
    """What a dead planning run's log had reported (a lower bound), or None."""
    try:
        adapter = adapter_in(config, run.provider)
    except KeyError:  # a provider since removed from the configuration
        return None
    lines = read_lines(Path(run.log_path) if run.log_path else None)
    logged = rebuild(adapter.NAME, lines, run.pid)
    return partial_charge(config, run.provider, run.model, adapter.NAME,
                          logged.outcome.stdout_lines, "cut short by a dead plan new")  # fmt: skip


def _reserve(ctx: EngineContext, req: RouteRequest, round_no: int) -> tuple[Run | None, Attempt]:
    """Route and reserve in one transaction, as every dispatch does; no run when blocked."""
    decision = route(req, ctx.config, ctx.budget_for(ctx.premium_possible(req)), ctx.health())
    if decision.blocked:
        return None, Attempt(None, None, None, decision.reasons, blocked=True,
                             error=decision.reasons[-1].removeprefix("blocked: "))  # fmt: skip
    assert decision.provider is not None and decision.model is not None
    with immediate():
        run = Run.create(task=None, wave=None, provider=decision.provider, model=decision.model,
                         round=round_no, engine_pid=os.getpid(),
                         route_reasons=list(decision.reasons))  # fmt: skip
        final = reserve_or_reroute(ctx, req, decision, run.id)
        if final.blocked:
            run.delete_instance()
            return None, Attempt(None, None, None, final.reasons, blocked=True,
                                 error=final.reasons[-1].removeprefix("blocked: "))  # fmt: skip
        run.log_path = str(paths.run_log(database_identity(), run.id))
        # Only these columns: a whole-row save would write the status outside the state machine.
        Run.update(log_path=run.log_path, provider=final.provider, model=final.model,
                   route_reasons=list(final.reasons)).where(Run.id == run.id).execute()  # fmt: skip
    return run, Attempt(int(run.id), final.provider, final.model, final.reasons,
                        cost_usd=final.estimate_usd)  # fmt: skip


def run_planner(ctx: EngineContext, target: Target, prompt: str, round_no: int,
                cancel: threading.Event) -> Attempt:  # fmt: skip
    """Route, reserve, run (read-only, in the project's checkout) and settle one planning
    run; its answer text is in :attr:`Attempt.text`."""
    from convergio_tui.engine.launch import execute  # launch imports the dispatch types

    req = planning_request(target, prompt)
    run, chosen = _reserve(ctx, req, round_no)
    reasons = (*target.reasons, *chosen.reasons)
    if run is None or chosen.provider is None or chosen.model is None:
        return replace(chosen, reasons=reasons)
    provider = ctx.config.providers[chosen.provider]
    prep = Prepared(
        task_id=None, code=RUN_CODE, title="draft a plan", privacy=req.privacy, round=round_no,
        prompt=prompt, run_id=run.id, provider=chosen.provider, model=chosen.model,
        reasons=reasons, fallback_from=None, estimate_usd=chosen.cost_usd,
        timeout_s=float(provider.timeout_s), log_path=Path(run.log_path), read_only=True,
    )  # fmt: skip
    repo = Path(target.ref.path)
    before = checkout_fingerprint(repo)
    done = execute(ctx, prep, repo, cancel)
    changed = checkout_fingerprint(repo) != before
    return Attempt(run.id, chosen.provider, chosen.model, reasons, success=done.success,
                   text=done.text, error=done.error, cost_usd=done.cost_usd, changed=changed,
                   status=done.status)  # fmt: skip
