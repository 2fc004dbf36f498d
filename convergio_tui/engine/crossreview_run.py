"""Thor's cross-review as a run of the wave, through the engine's one dispatch path.

Thor decides *whether* to ask for a second opinion and *what* to ask (the wave's diff);
the engine decides *who* answers and pays for it, exactly as for a task: route (with
reasons) with the wave's strictest privacy as it stands now and without the provider
that wrote most of the wave -> health -> reserve -> the privacy re-check right before
spawning -> sandbox -> run -> charge and settle, recorded as a ``run`` row of the wave.
A review nobody may give (privacy, health, budget) is skipped and says why.
"""

from __future__ import annotations

from pathlib import Path

from convergio_tui import paths
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import Prepared, reserve_or_reroute
from convergio_tui.engine.privacy import strictest
from convergio_tui.engine.router import Decision, RouteRequest, route
from convergio_tui.store.db import immediate
from convergio_tui.store.models import GateResult, Run, Task, Wave, database_identity
from convergio_tui.thor.crossreview import CrossReview, ReviewRunner, parse_verdict, wave_authors


def review_request(ctx: EngineContext, wave: Wave, prompt: str) -> RouteRequest:
    """How the review is routed: type ``review``, the wave's most urgent priority, the
    strictest effective privacy of its tasks, every task's project limits, and never the
    provider that wrote most of the wave."""
    tasks = list(Task.select().where(Task.wave == wave.id))
    views = [ctx.effective_privacy(t.privacy) for t in tasks] or [ctx.effective_privacy(None)]
    allowed: set[str] | None = None
    for view in views:
        if view.project_allowed is not None:
            names = set(view.project_allowed)
            allowed = names if allowed is None else allowed & names
    writer = wave_authors(tasks).most_common(1)
    return RouteRequest(
        type="review",
        priority=min((str(t.priority) for t in tasks), default="P1"),
        privacy=strictest(v.privacy for v in views),
        prompt_chars=len(prompt),
        project_allowed=None if allowed is None else tuple(sorted(allowed)),
        avoid=(writer[0][0],) if writer else (),
        avoid_reason="it wrote most of the wave" if writer else "",
    )


def _reserve(
    ctx: EngineContext, req: RouteRequest, decision: Decision, wave: Wave
) -> tuple[Run | None, Decision]:
    """The run row and its reservation, in one transaction, as any dispatch makes them
    (``reserve_or_reroute``: a refused premium reservation routes again without premium),
    and the final decision; no run when that decision is blocked."""
    assert decision.provider is not None and decision.model is not None
    with immediate():
        run = Run.create(task=None, wave=wave.id, provider=decision.provider,
                         model=decision.model, route_reasons=list(decision.reasons))  # fmt: skip
        final = reserve_or_reroute(ctx, req, decision, run.id)
        if final.blocked:
            run.delete_instance()
            return None, final
        run.log_path = str(paths.run_log(database_identity(), run.id))
        # Only these columns: a whole-row save would write the status outside the state machine.
        Run.update(log_path=run.log_path, provider=final.provider, model=final.model,
                   route_reasons=list(final.reasons)).where(Run.id == run.id).execute()  # fmt: skip
    return run, final


def unjudged_review(wave: Wave) -> CrossReview | None:
    """A review of ``wave`` that finished but whose verdict no wave review recorded (the
    engine died in between): its answer, read back, instead of paying for another run.
    Any wave verdict recorded after it started means it was used: ask again then."""
    last = (
        Run.select().where(Run.wave == wave.id, Run.task.is_null()).order_by(Run.id.desc()).first()
    )
    if last is None or last.status != "succeeded" or not last.log_path:
        return None
    judged = GateResult.select().where(
        GateResult.wave == wave.id, GateResult.created_at >= last.started_at
    )
    if judged.exists():
        return None
    try:
        text = Path(last.log_path).with_name(f"{last.id}.result.txt").read_text()
    except OSError:
        return None
    detail = (f"run {last.id}: {last.provider} ({last.model}), answered before an "
              f"interruption; log {last.log_path}")  # fmt: skip
    return _answer(last.provider, text, detail, 0.0)


def _answer(provider: str, text: str, detail: str, cost_usd: float) -> CrossReview:
    """The reviewer's text as Thor receives it: its verdict, or why there is none."""
    verdict = parse_verdict(text)
    if verdict is None:
        return CrossReview(None, text, f"{provider} gave no VERDICT line", cost_usd)
    return CrossReview(verdict, text, detail, cost_usd)


def run_cross_review(ctx: EngineContext, wave: Wave, prompt: str, workdir: Path) -> CrossReview:
    """Route, reserve, run and settle one cross-review of ``wave`` in ``workdir`` (or reuse
    the answer of one that finished before an interruption)."""
    from convergio_tui.engine.launch import execute  # launch imports the dispatch types

    answered = unjudged_review(wave)
    if answered is not None:
        ctx.bus.journal("review.reused", f"wave {wave.seq}: {answered.detail}", plan_id=ctx.plan_id)
        return answered
    req = review_request(ctx, wave, prompt)
    if ctx.config_problem is not None:  # an edit gone wrong may have meant to tighten
        return CrossReview(None, "", f"skipped: {ctx.config_problem}")
    premium = ctx.premium_possible(req)
    decision = route(req, ctx.config, ctx.budget_for(premium), ctx.health())
    run, decision = (None, decision) if decision.blocked else _reserve(ctx, req, decision, wave)
    if run is None or decision.provider is None or decision.model is None:
        why = decision.reasons[-1].removeprefix("blocked: ") if decision.reasons else "no reviewer"
        ctx.bus.journal("review.skipped", f"wave {wave.seq}: cross-review skipped: {why}",
                        plan_id=ctx.plan_id, data={"reasons": list(decision.reasons)})  # fmt: skip
        return CrossReview(None, "", f"skipped: {why}")
    provider = ctx.config.providers[decision.provider]
    prep = Prepared(
        task_id=None, code=f"wave-{wave.seq}-review", title=f"cross-review of {wave.name}",
        privacy=req.privacy, round=1, prompt=prompt, run_id=run.id, provider=decision.provider,
        model=decision.model, reasons=decision.reasons, fallback_from=None,
        estimate_usd=decision.estimate_usd,
        timeout_s=min(provider.timeout_s, ctx.config.thor.command_timeout_s),
        log_path=Path(run.log_path), wave_id=wave.id,
    )  # fmt: skip
    # The scheduler waits for the review; a stop kills it like any running agent.
    done = execute(ctx, prep, workdir, ctx.stop)
    detail = f"run {run.id}: {decision.provider} ({decision.model})"
    if req.avoid:
        detail += f", not {req.avoid[0]}: {req.avoid_reason}"
    detail += f"; log {prep.log_path}"
    if not done.success:
        return CrossReview(
            None, done.text, f"{decision.provider} failed: {done.error}", done.cost_usd
        )
    return _answer(decision.provider, done.text, detail, done.cost_usd)


def runner_for(ctx: EngineContext, wave: Wave) -> ReviewRunner:
    """What Thor calls to get a cross-review of ``wave`` (prompt, checkout)."""
    return lambda prompt, workdir: run_cross_review(ctx, wave, prompt, workdir)


__all__ = ["review_request", "run_cross_review", "runner_for"]
