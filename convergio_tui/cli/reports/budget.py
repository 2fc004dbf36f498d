"""``convergio budget [--json]``: today's premium spend, its burn rate and where it went."""

from __future__ import annotations

import sqlite3

from convergio_tui.cli.output import json_text, lines_text
from convergio_tui.config.schema import BudgetConfig
from convergio_tui.engine.budget_status import day_window, read_status
from convergio_tui.engine.burn import burn_text, forecast
from convergio_tui.money import cost, credits, usd
from convergio_tui.store import ledger_sql
from convergio_tui.textsafe import one_line


def budget_report(con: sqlite3.Connection, config: BudgetConfig, at: float, as_json: bool) -> str:
    """Today's spend, reservations, burn rate, spend by provider and by plan, at ``at``."""
    current = read_status(con, config, at)
    _, start, end = day_window(config.timezone, at)
    charges = ledger_sql.premium_charges(con, start, end)
    burn = forecast(charges, current.spent_usd, current.cap_usd, at, end)
    spent_credits = ledger_sql.credits_by_provider(con, start, end)
    plans = ledger_sql.spend_by_plan(con, start, end)
    held = ledger_sql.reservations_in_flight(con)
    if as_json:
        return json_text({
            **current.as_dict(),
            "burn": burn.as_dict(),
            "by_plan": [{"plan_id": p.plan_id, "name": p.name, "usd": round(p.usd, 6),
                         "ai_credits": p.ai_credits} for p in plans],
            "in_flight": [{"run_id": r.run_id, "task": r.task_code, "provider": r.provider,
                           "model": r.model, "usd": round(r.usd, 6)} for r in held],
        })  # fmt: skip
    flag = " CAPPED" if current.capped else (" ALERT" if current.alert else "")
    lines = [
        f"{current.date}: {usd(current.spent_usd)} of {usd(current.cap_usd)} "
        f"({current.pct:.0f}%), {usd(current.reserved_usd)} reserved{flag}",
        f"  {burn_text(burn)}",
    ]
    for provider, amount in sorted(current.by_provider.items()):
        lines.append(f"  {provider:<10} {cost(amount, spent_credits.get(provider, 0.0))}")
    for plan in plans:
        name = f"#{plan.plan_id} {one_line(plan.name)}" if plan.plan_id else "other"
        extra = f" incl. {credits(plan.ai_credits)}" if plan.ai_credits else ""
        lines.append(f"  plan {name}: {usd(plan.usd)}{extra}")
    for run in held:
        lines.append(
            f"  in flight: {run.task_code or f'run {run.run_id}'} {run.provider} {usd(run.usd)}"
        )
    return lines_text(lines)
