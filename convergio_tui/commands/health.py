"""``convergio health [--refresh] [--json]``: provider health (cached with a TTL)."""

from __future__ import annotations

import click

from convergio_tui.cli.output import json_text, lines_text, write
from convergio_tui.commands.common import context, json_option
from convergio_tui.textsafe import one_line


@click.command()
@click.option("--refresh", is_flag=True, help="Check every provider now, ignoring the cache.")
@json_option
def health(refresh: bool, as_json: bool) -> None:
    """Each provider's state (up, down, cooldown), latency and detail."""
    from convergio_tui.cli.reports.health import health_report, sandbox_reason
    from convergio_tui.engine.health import health_document
    from convergio_tui.engine.health import refresh as refresh_health

    ctx = context()
    cfg = ctx.config
    ctx.open_db()
    refresh_health(cfg, force=refresh)
    doc = health_document(cfg)
    if cfg.execution.backend != "ray":
        reason = None if as_json else sandbox_reason(cfg.sandbox.mode)
        write(health_report(doc, as_json, cfg.sandbox.mode, reason))
        return
    # Where the agents run: the cluster's nodes.
    from convergio_tui.engine.cluster.nodes import cluster_document, cluster_lines, read_cluster

    view = read_cluster(cfg.execution.ray)
    if as_json:
        write(json_text({**doc, "cluster": cluster_document(view)}))
        return
    text = health_report(doc, False, cfg.sandbox.mode, sandbox_reason(cfg.sandbox.mode))
    lines = [one_line(line) for line in cluster_lines(view, cfg.enabled_providers())]
    write(text + lines_text(lines))
