"""``convergio demo``: placeholder until the dashboard lands."""

from __future__ import annotations

import click


@click.command()
@click.option("--headless", is_flag=True, help="Run without the dashboard and print a summary.")
def demo(headless: bool) -> None:
    """Run the built-in demo over the simulated agents."""
    click.echo("convergio demo: the demo arrives with the dashboard")
