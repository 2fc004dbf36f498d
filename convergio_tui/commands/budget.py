"""``convergio budget``: today's premium spend, its burn rate and where it went."""

from __future__ import annotations

import time

import click

from convergio_tui.cli.output import write
from convergio_tui.commands.common import context, json_option


@click.command()
@json_option
def budget(as_json: bool) -> None:
    """Today's premium spend, reservations, burn rate, spend by provider and by plan."""
    from convergio_tui.cli.reports.budget import budget_report
    from convergio_tui.store.db import sqlite_connection
    from convergio_tui.store.read_only import snapshot

    ctx = context()
    cfg = ctx.config
    ctx.open_db()
    with snapshot(sqlite_connection()) as con:
        text = budget_report(con, cfg.budget, time.time(), as_json)
    write(text)
