"""``convergio models refresh|list|check``: the model registry (docs/cli.md).

``check`` exits 1 when anything is wrong; a bad configuration exits 2 (loader).
"""

from __future__ import annotations

import json
from typing import Any

import click

from convergio_tui.commands.common import echo
from convergio_tui.tools.model_registry import (
    check_registry,
    fetch_ollama_tags,
    read_table,
    refresh_table,
    registry_rows,
)


@click.group()
def models() -> None:
    """The model registry: refresh, list, check."""


@models.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def refresh(ctx: click.Context, as_json: bool) -> None:
    """Load providers and models from the configuration into the database."""
    config = ctx.obj.config
    ctx.obj.open_db()
    result = refresh_table(config)
    if as_json:
        echo(json.dumps(vars(result)))
        return
    echo(
        f"model registry: {len(result.added)} added, {len(result.updated)} updated, "
        f"{len(result.removed)} removed"
    )


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the registry (the configuration's models when it was never refreshed)."""
    ctx.obj.open_db()
    rows: list[dict[str, Any]] = read_table()
    source = "db"
    if not rows:
        rows, source = registry_rows(ctx.obj.config), "config"
        if not as_json:
            echo("registry is empty; showing the configuration (run: models refresh)", err=True)
    if as_json:
        echo(json.dumps({"source": source, "models": rows}))
        return
    echo(
        f"{'provider':<10} {'model':<24} {'tier':<8} {'mult':>5} {'in$/M':>7} {'out$/M':>7}  flags"
    )
    for r in rows:
        flags = ",".join(
            f
            for f, on in (("privacy-safe", r["privacy_safe"]), ("disabled", not r["enabled"]))
            if on
        )
        echo(
            f"{r['provider']:<10} {r['model_id']:<24} {r['tier']:<8} {r['multiplier']:>5g} "
            f"{_money(r['input_usd_per_mtok']):>7} {_money(r['output_usd_per_mtok']):>7}  {flags}"
        )


@models.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--no-db", is_flag=True, help="Do not compare with the database table.")
@click.pass_context
def check(ctx: click.Context, as_json: bool, no_db: bool) -> None:
    """Check registry integrity; exit 1 when anything is wrong."""
    config = ctx.obj.config
    tags = {
        name: fetch_ollama_tags(p.endpoint)
        for name, p in config.providers.items()
        if p.enabled and p.endpoint
    }
    db_rows = None
    if not no_db and ctx.obj.db_path.exists():
        ctx.obj.open_db()
        db_rows = read_table()
    report = check_registry(config, ollama_tags=tags, db_rows=db_rows)
    if as_json:
        echo(json.dumps(report.as_dict()))
    else:
        for p in report.problems:
            echo(f"FAIL {p.check:<14} {p.message}")
        for note in report.notes:
            echo(f"note {note}")
        echo("model registry ok" if report.ok else f"{len(report.problems)} problem(s)")
    raise SystemExit(0 if report.ok else 1)
