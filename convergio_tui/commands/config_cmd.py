"""``convergio config check``."""

from __future__ import annotations

import click

from convergio_tui.commands.common import context, echo, emit_json, json_option
from convergio_tui.config.errors import ConfigError
from convergio_tui.money import usd


@click.group()
def config() -> None:
    """Configuration commands."""


@config.command("check")
@json_option
def check(as_json: bool) -> None:
    """Validate the configuration file; exit 2 with file:line:key on errors."""
    ctx = context()
    try:
        cfg = ctx.config
    except ConfigError as exc:
        if as_json:
            emit_json({"ok": False, "file": str(ctx.config_path),
                       "errors": [p.as_dict() for p in exc.problems]})  # fmt: skip
        else:
            for problem in exc.problems:
                echo(f"error: {problem}", err=True)
        raise click.exceptions.Exit(2) from None
    if as_json:
        emit_json({"ok": True, "file": str(ctx.config_path), "errors": []})
    else:
        echo(
            f"{ctx.config_path}: ok ({len(cfg.providers)} providers, "
            f"{len(cfg.projects)} projects, cap {usd(cfg.budget.max_premium_per_day)}/day)"
        )
