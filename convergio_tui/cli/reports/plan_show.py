"""``convergio plan show PLAN [--json]``: the waves and tasks of one plan."""

from __future__ import annotations

from typing import Any, cast

from convergio_tui.cli.output import json_text, lines_text
from convergio_tui.money import usd
from convergio_tui.textsafe import one_line


def plan_show_report(doc: dict[str, object], as_json: bool) -> str:
    """What ``plan show`` prints of ``doc`` (``store.plan_sql.plan_document``)."""
    if as_json:
        return json_text(doc)
    head = cast(dict[str, Any], doc["plan"])
    name, project = one_line(str(head["name"])), one_line(str(head["project"]))
    lines = [f"plan {head['id']} {name} [{head['status']}] project {project}"]
    for wave in cast(list[dict[str, Any]], doc["waves"]):
        lines.append(f"  wave {wave['seq']} {one_line(wave['name'])} [{wave['status']}]")
        for t in wave["tasks"]:
            target = f"{t['provider']}·{t['model']}" if t["provider"] else "blocked"
            lines.append(
                f"    {t['code']:<8} {t['status']:<10} {t['type']:<8} {t['priority']} "
                f"{t['privacy']:<9} {one_line(target):<34} r{t['round']} {usd(t['cost_usd']):>7}  "
                f"{one_line(t['title'])}"
            )
    return lines_text(lines)
