"""``convergio plan import|list|show``."""

from __future__ import annotations

from pathlib import Path

import click

from convergio_tui.commands.common import context, echo, emit_json, fail, json_option
from convergio_tui.money import usd
from convergio_tui.textsafe import one_line


@click.group()
def plan() -> None:
    """Plans: import a spec, list, show."""


@plan.command("import")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--project", default=None, help="Override the spec's project.")
@json_option
def import_(spec: Path, project: str | None, as_json: bool) -> None:
    """Validate SPEC and store it with routing assigned; print the plan id."""
    from convergio_tui.engine.planner import prepare_plan, store_plan

    ctx = context()
    cfg = ctx.config
    # Validate everything before touching the database so bad input writes nothing.
    prepared, ref = prepare_plan(spec, cfg, project)
    ctx.open_db()
    plan_id = store_plan(prepared, ref, cfg, spec)
    if as_json:
        emit_json({"plan_id": plan_id})
    else:
        echo(plan_id)


@plan.command("list")
@json_option
def list_(as_json: bool) -> None:
    """Plans with status and progress."""
    from convergio_tui.store.queries import plan_summaries

    context().open_db()
    summaries = plan_summaries()
    if as_json:
        emit_json({"plans": [s.as_dict() for s in summaries]})
        return
    if not summaries:
        echo("no plans yet: convergio plan import SPEC.yaml")
    for s in summaries:
        echo(
            f"{s.id:>4}  {one_line(s.name):<28} {one_line(s.project):<16} {s.status:<10} "
            f"{s.done}/{s.tasks} done  {usd(s.cost_usd)}"
        )


@plan.command("show")
@click.argument("plan_ref")
@json_option
def show(plan_ref: str, as_json: bool) -> None:
    """Waves and tasks of PLAN (id or name)."""
    from convergio_tui.store.queries import find_plan, plan_document

    context().open_db()
    found = find_plan(plan_ref)
    if found is None:
        fail(f"error: no plan {plan_ref!r} (see: convergio plan list)", 2)
    doc = plan_document(found)
    if as_json:
        emit_json(doc)
        return
    head = doc["plan"]
    assert isinstance(head, dict)
    name, project = one_line(str(head["name"])), one_line(str(head["project"]))
    echo(f"plan {head['id']} {name} [{head['status']}] project {project}")
    for wave in doc["waves"]:  # type: ignore[union-attr]
        echo(f"  wave {wave['seq']} {one_line(wave['name'])} [{wave['status']}]")
        for t in wave["tasks"]:
            target = f"{t['provider']}·{t['model']}" if t["provider"] else "blocked"
            echo(
                f"    {t['code']:<8} {t['status']:<10} {t['type']:<8} {t['priority']} "
                f"{t['privacy']:<9} {one_line(target):<34} r{t['round']} {usd(t['cost_usd']):>7}  "
                f"{one_line(t['title'])}"
            )
