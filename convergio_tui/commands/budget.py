"""``convergio budget``: today's premium spend."""

from __future__ import annotations

import click

from convergio_tui.commands.common import context, echo, emit_json, json_option


@click.command()
@json_option
def budget(as_json: bool) -> None:
    """Today's premium spend, reservations and spend by provider."""
    from convergio_tui.engine.budget import status

    ctx = context()
    cfg = ctx.config
    ctx.open_db()
    current = status(cfg.budget)
    if as_json:
        emit_json(current.as_dict())
        return
    flag = " CAPPED" if current.capped else (" ALERT" if current.alert else "")
    echo(
        f"{current.date}: ${current.spent_usd:.2f} of ${current.cap_usd:.2f} "
        f"({current.pct:.0f}%), ${current.reserved_usd:.2f} reserved{flag}"
    )
    for provider, usd in sorted(current.by_provider.items()):
        echo(f"  {provider:<10} ${usd:.4f}")
