"""``convergio health [--json]``: each provider's cached state, and the sandbox's."""

from __future__ import annotations

from datetime import datetime

from convergio_tui.cli.output import alert, json_text, lines_text
from convergio_tui.engine.health_verdict import split_detail
from convergio_tui.textsafe import one_line, printable


def provider_lines(doc: dict[str, dict[str, object]]) -> list[str]:
    """One line per provider (state, cooldown end, latency, what), and what to do when it
    is not up."""
    lines = []
    for name, row in doc.items():
        latency = row.get("latency_ms")
        took = f"{latency:.0f} ms" if isinstance(latency, int | float) else "-"
        until = row.get("cooldown_until")
        wait = ""
        if isinstance(until, int | float):
            wait = f" until {datetime.fromtimestamp(until).strftime('%H:%M:%S')}"
        # The detail quotes the provider CLI's own output: neutralise it.
        what, fix = split_detail(str(row["detail"]))
        lines.append(f"{name:<10} {row['state']:<9}{wait} {took:>8}  {one_line(what)}")
        if fix and row["state"] != "up":
            lines.append(f"{'':<10} fix: {one_line(fix)}")
    return lines


def sandbox_reason(mode: str) -> str | None:
    """Why agents cannot be sandboxed here, or None (also with ``sandbox.mode: off``,
    which asks nothing): a probe's verdict is remembered, as a probe starts a sandbox."""
    if mode == "off":
        return None
    from convergio_tui.sandbox.available import remembered_reason

    return remembered_reason()


def sandbox_line(mode: str, reason: str | None) -> str:
    """How agents are confined, with its newline; unsandboxed or impossible in the alert
    colour. ``reason``: why a sandbox cannot start here (None: it can)."""
    if mode == "off":
        return alert("sandbox    off       agents unsandboxed (sandbox.mode: off)") + "\n"
    if reason is not None:
        return alert(printable(f"sandbox    missing   {reason}")) + "\n"
    return "sandbox    on        every agent runs in a sandbox\n"


def health_report(
    doc: dict[str, dict[str, object]], as_json: bool, sandbox_mode: str, sandbox_reason: str | None
) -> str:
    """``health``'s output from the health document (``engine.health_document``)."""
    if as_json:
        return json_text(doc)
    return lines_text(provider_lines(doc)) + sandbox_line(sandbox_mode, sandbox_reason)
