"""``convergio health [--refresh] [--json]``: provider health (cached with a TTL)."""

from __future__ import annotations

from datetime import datetime

import click

from convergio_tui.commands.common import context, echo, emit_json, json_option
from convergio_tui.textsafe import one_line


@click.command()
@click.option("--refresh", is_flag=True, help="Check every provider now, ignoring the cache.")
@json_option
def health(refresh: bool, as_json: bool) -> None:
    """Each provider's state (up, down, cooldown), latency and detail."""
    from convergio_tui.engine.health import health_document
    from convergio_tui.engine.health import refresh as refresh_health
    from convergio_tui.engine.health_verdict import split_detail

    ctx = context()
    cfg = ctx.config
    ctx.open_db()
    refresh_health(cfg, force=refresh)
    doc = health_document(cfg)
    view = None
    if cfg.execution.backend == "ray":  # where the agents run: the cluster's nodes
        from convergio_tui.engine.cluster.nodes import read_cluster

        view = read_cluster(cfg.execution.ray)
    if as_json:
        if view is not None:
            from convergio_tui.engine.cluster.nodes import cluster_document

            doc = {**doc, "cluster": cluster_document(view)}
        emit_json(doc)
        return
    for name, row in doc.items():
        latency = f"{row['latency_ms']:.0f} ms" if row.get("latency_ms") is not None else "-"
        until = row.get("cooldown_until")
        wait = ""
        if isinstance(until, (int, float)):
            wait = f" until {datetime.fromtimestamp(until).strftime('%H:%M:%S')}"
        # The detail quotes the provider CLI's own output: neutralise it.
        what, fix = split_detail(str(row["detail"]))
        echo(f"{name:<10} {row['state']:<9}{wait} {latency:>8}  {one_line(what)}")
        if fix and row["state"] != "up":
            echo(f"{'':<10} fix: {one_line(fix)}")
    _sandbox_line(cfg.sandbox.mode)
    if view is not None:
        from convergio_tui.engine.cluster.nodes import cluster_lines

        for line in cluster_lines(view, cfg.enabled_providers()):
            echo(one_line(line))


def _sandbox_line(mode: str) -> None:
    """Say how agents are confined; unsandboxed or impossible in the alert colour."""
    from convergio_tui.sandbox.available import remembered_reason

    if mode == "off":
        click.secho(
            "sandbox    off       agents unsandboxed (sandbox.mode: off)", fg="red", bold=True
        )
        return
    reason = remembered_reason()  # a probe starts a sandbox: not on every call
    if reason is not None:
        click.secho(f"sandbox    missing   {reason}", fg="red", bold=True)
    else:
        click.echo("sandbox    on        every agent runs in a sandbox")
