"""A premium reservation refused at dispatch (a parallel dispatch took the headroom after
routing) routes again without premium, for a task's run and Thor's cross-review alike."""

from __future__ import annotations

import threading
from pathlib import Path

from engine_fixtures import engine_config, import_spec, task

from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import reserve_or_reroute
from convergio_tui.engine.events import Bus
from convergio_tui.engine.planner import route_request
from convergio_tui.engine.router import route
from convergio_tui.store.models import Ledger, Run, Task

CAP = 50.0  # above any shipped model's worst case


def context(repo: Path, ollama: str, tmp_path: Path, **project: object) -> EngineContext:
    config = engine_config(repo, ollama, budget={"max_premium_per_day": CAP})
    if project:
        config.projects["demo"] = config.projects["demo"].model_copy(update=project)
    plan = import_spec(config, tmp_path, [[task("T1", "Fix it.", priority="P0")]])
    return EngineContext.for_plan(config, plan, Bus(), threading.Event())


def take_the_headroom() -> None:
    """What a parallel dispatch does between our routing and our reservation."""
    other = Run.create(task=Task.get().id, provider="claude", model="claude-opus-4-5")
    Ledger.create(provider="claude", model="claude-opus-4-5", run=other.id, kind="reserve",
                  usd=CAP, premium=True, note="a parallel dispatch")  # fmt: skip


def test_a_refused_reservation_routes_again_without_premium_and_says_why(
    repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    ctx = context(repo, ollama, tmp_path)
    req = route_request(Task.get(), ctx.project, "public")
    decision = route(req, ctx.config, ctx.budget_for(True), ctx.health())
    assert decision.provider == "claude"  # premium fits when routed
    take_the_headroom()
    run = Run.create(task=Task.get().id, provider=decision.provider, model=decision.model)

    final = reserve_or_reroute(ctx, req, decision, run.id)

    assert final.provider is not None and not final.blocked
    assert ctx.config.providers[final.provider].cost_tier.value != "premium"
    assert "routed again without premium" in final.reasons[-1]
    assert Ledger.select().where(Ledger.run == run.id).count() == 0  # nothing reserved


def test_a_premium_reservation_that_fits_is_written_and_the_decision_stands(
    repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    ctx = context(repo, ollama, tmp_path)
    req = route_request(Task.get(), ctx.project, "public")
    decision = route(req, ctx.config, ctx.budget_for(True), ctx.health())
    run = Run.create(task=Task.get().id, provider=decision.provider, model=decision.model)

    assert reserve_or_reroute(ctx, req, decision, run.id) == decision
    reserved = Ledger.get(Ledger.run == run.id, Ledger.kind == "reserve")
    assert 0 < reserved.usd <= CAP


def test_with_only_premium_providers_allowed_the_reroute_is_blocked(
    repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    ctx = context(repo, ollama, tmp_path, allowed_providers=["claude"])
    req = route_request(Task.get(), ctx.project, "public")
    decision = route(req, ctx.config, ctx.budget_for(True), ctx.health())
    assert decision.provider == "claude"
    take_the_headroom()
    run = Run.create(task=Task.get().id, provider=decision.provider, model=decision.model)

    final = reserve_or_reroute(ctx, req, decision, run.id)

    assert final.blocked and final.provider is None
    assert Ledger.select().where(Ledger.run == run.id).count() == 0
