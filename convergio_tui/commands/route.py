"""``convergio route``: one routing decision, pure."""

from __future__ import annotations

import click

from convergio_tui.commands.common import context, echo, emit_json, json_option
from convergio_tui.config.schema import PRIORITIES, PRIVACY_LEVELS, TASK_TYPES
from convergio_tui.engine.router import BudgetView, HealthView, RouteRequest
from convergio_tui.engine.router import route as route_task


@click.command()
@click.option("--type", "task_type", required=True, type=click.Choice(TASK_TYPES))
@click.option("--priority", default="P1", show_default=True, type=click.Choice(PRIORITIES))
@click.option("--privacy", default="internal", show_default=True, type=click.Choice(PRIVACY_LEVELS))
@click.option("--spent", type=float, default=0.0, help="Premium USD already spent today.")
@click.option("--down", multiple=True, metavar="NAME", help="Treat this provider as down.")
@click.option("--project", default=None, help="A project of the configuration.")
@click.option(
    "--provider",
    "--agent",
    "provider",
    default=None,
    help="An explicit provider (--agent: its older name).",
)
@click.option("--model", default=None, help="An explicit model.")
@click.option("--prompt-chars", type=int, default=0, help="Prompt length for the estimate.")
@json_option
def route(
    task_type: str, priority: str, privacy: str, spent: float, down: tuple[str, ...],
    project: str | None, provider: str | None, model: str | None, prompt_chars: int, as_json: bool,
) -> None:  # fmt: skip
    """Print where a task would go and why. Reads no database; runs nothing."""
    cfg = context().config
    for name in down:
        if name not in cfg.providers:
            raise click.BadParameter(
                f"unknown provider {name!r} (known: {', '.join(cfg.providers)})",
                param_hint="--down",
            )
    allowed = None
    if project is not None:
        if project not in cfg.projects:
            raise click.BadParameter(f"unknown project {project!r}", param_hint="--project")
        proj = cfg.projects[project]
        allowed = tuple(proj.allowed_providers) if proj.allowed_providers is not None else None
    req = RouteRequest(task_type, priority, privacy, provider, model, prompt_chars, allowed)
    budget = BudgetView(spent, 0.0, cfg.budget.max_premium_per_day, cfg.budget.enforce_budget)
    health = {name: HealthView("down", "marked down with --down") for name in down}
    decision = route_task(req, cfg, budget, health)
    if as_json:
        emit_json(decision.as_dict())
        return
    target = f"{decision.provider} · {decision.model}" if decision.provider else "BLOCKED"
    echo(target)
    for reason in decision.reasons:
        echo(f"  - {reason}")
