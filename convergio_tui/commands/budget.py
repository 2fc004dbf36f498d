"""``convergio budget``: today's premium spend, its burn rate and where it went."""

from __future__ import annotations

import click

from convergio_tui.commands.common import context, echo, emit_json, json_option
from convergio_tui.money import cost, credits, usd
from convergio_tui.textsafe import one_line


@click.command()
@json_option
def budget(as_json: bool) -> None:
    """Today's premium spend, reservations, burn rate, spend by provider and by plan."""
    from convergio_tui.engine.budget import day_window, status
    from convergio_tui.engine.burn import burn_text, forecast
    from convergio_tui.store import queries as q
    from convergio_tui.store.models import now

    ctx = context()
    cfg = ctx.config
    ctx.open_db()
    at = now()
    current = status(cfg.budget, at=at)
    _, start, end = day_window(cfg.budget.timezone, at)
    burn = forecast(q.premium_charges(start, end), current.spent_usd, current.cap_usd, at, end)
    spent_credits = q.credits_by_provider(start, end)
    plans = q.spend_by_plan(start, end)
    held = q.reservations_in_flight()
    if as_json:
        emit_json({
            **current.as_dict(),
            "burn": burn.as_dict(),
            "by_plan": [{"plan_id": p.plan_id, "name": p.name, "usd": round(p.usd, 6),
                         "ai_credits": p.ai_credits} for p in plans],
            "in_flight": [{"run_id": r.run_id, "task": r.task_code, "provider": r.provider,
                           "model": r.model, "usd": round(r.usd, 6)} for r in held],
        })  # fmt: skip
        return
    flag = " CAPPED" if current.capped else (" ALERT" if current.alert else "")
    echo(
        f"{current.date}: {usd(current.spent_usd)} of {usd(current.cap_usd)} "
        f"({current.pct:.0f}%), {usd(current.reserved_usd)} reserved{flag}"
    )
    echo(f"  {burn_text(burn)}")
    for provider, amount in sorted(current.by_provider.items()):
        echo(f"  {provider:<10} {cost(amount, spent_credits.get(provider, 0.0))}")
    for plan in plans:
        name = f"#{plan.plan_id} {one_line(plan.name)}" if plan.plan_id else "other"
        extra = f" incl. {credits(plan.ai_credits)}" if plan.ai_credits else ""
        echo(f"  plan {name}: {usd(plan.usd)}{extra}")
    for run in held:
        echo(f"  in flight: {run.task_code or f'run {run.run_id}'} {run.provider} {usd(run.usd)}")
