"""``convergio route``: one routing decision, pure."""

from __future__ import annotations

import click

from convergio_tui.cli.output import write
from convergio_tui.cli.reports.route import BadOption, RouteQuery, route_report
from convergio_tui.commands.common import context, json_option
from convergio_tui.config.schema import PRIORITIES, PRIVACY_LEVELS, TASK_TYPES


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
    query = RouteQuery(task_type, priority, privacy, spent, down, project, provider, model,
                       prompt_chars)  # fmt: skip
    try:
        write(route_report(context().config, query, as_json))
    except BadOption as exc:
        raise click.BadParameter(str(exc), param_hint=exc.hint) from None
