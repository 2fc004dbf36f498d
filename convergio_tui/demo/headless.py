"""``convergio demo --headless``: the demo plan through the real engine, printed as it runs."""

from __future__ import annotations

import time

import click

from convergio_tui.config.schema import Config
from convergio_tui.engine.budget import status as budget_status
from convergio_tui.engine.event_text import describe
from convergio_tui.engine.events import EngineEvent
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.handoff import handoff_lines
from convergio_tui.engine.summary import RunSummary
from convergio_tui.money import usd
from convergio_tui.store.models import Event, Run, Task


class DemoPrinter:
    """Prints one line per notable engine event, stamped with the demo's clock."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self, event: EngineEvent) -> None:
        text = describe(event)
        if text:
            click.echo(f"[demo {time.monotonic() - self.start:5.1f}s] {text}")


def run_headless(config: Config, plan_id: int, db_path: str) -> RunSummary:
    """Execute the demo plan without the dashboard and print a summary."""
    click.echo("Convergio DEMO — simulated agents, real engine, gates, ledger. Ctrl-C stops.")
    summary = Executor(config, plan_id, listener=DemoPrinter()).run()
    print_summary(config, summary, db_path)
    return summary


def print_summary(config: Config, summary: RunSummary, db_path: str) -> None:
    """What happened: tasks, providers, rejections, escalations, budget, and where the
    result is (the hand-off: the last wave branch that passed, and how to merge it)."""
    click.echo("")
    click.echo(f"DEMO summary: plan {summary.status}, {summary.done}/{summary.total} tasks done")
    for task in Task.select().where(Task.plan == summary.plan_id).order_by(Task.code):
        runs = list(Run.select().where(Run.task == task).order_by(Run.id))
        providers = " → ".join(f"{r.provider}" for r in runs) or "-"
        cost = sum(r.cost_usd for r in runs)
        click.echo(
            f"  {task.code:<6} {task.status:<10} round {task.round}  {providers:<28} "
            f"{usd(cost):>7}  {task.title}"
        )
    spend = budget_status(config.budget)
    click.echo(
        f"budget: {usd(spend.spent_usd)} of {usd(spend.cap_usd)} premium cap ({spend.pct:.0f}%)"
    )
    alerts = Event.select().where(Event.kind.startswith("budget.")).order_by(Event.id)
    for event in alerts:
        click.echo(f"  {event.kind}: {event.message}")
    for waiting in summary.waiting:
        click.echo(f"waiting for a person: {waiting.code} — {waiting.reason}")
    if summary.waiting:
        click.echo(f"decide with: convergio --db {db_path} escalations list  (or in the dashboard)")
    if summary.handoff is not None:  # where the demo's work is, and how to take it
        for line in handoff_lines(summary.handoff):
            click.echo(line)
