"""``convergio plan new|template|import|list|show``.

``plan import`` exits 1 (nothing written) when the same file, unchanged, was imported for
the same project before and the user neither confirms nor passes ``--force``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from convergio_tui.commands.common import context, echo, emit_json, fail, json_option
from convergio_tui.commands.plan_new import new
from convergio_tui.money import usd
from convergio_tui.textsafe import one_line


@click.group()
def plan() -> None:
    """Plans: draft one from a goal, import a spec, list, show."""


plan.add_command(new)


@plan.command("template")
def template() -> None:
    """Print a commented example plan (every key the format accepts)."""
    from convergio_tui.engine.planning.template import plan_template

    click.echo(plan_template(), nl=False)


def _refuse_duplicate(spec: Path, earlier: object, as_json: bool) -> None:
    """Ask before importing the same file again (no terminal, or --json: refuse, exit 1)."""
    plan_id, status = getattr(earlier, "id", "?"), getattr(earlier, "status", "?")
    what = f"{spec} was already imported, unchanged, as plan {plan_id} ({status})"
    if not as_json and sys.stdin.isatty():
        if click.confirm(f"{what}: import it again as a new plan?", default=False, err=True):
            return
        fail(f"not imported: run the existing plan with `convergio run {plan_id}`", 1)
    fail(f"error: {what}: run it with `convergio run {plan_id}`, or import it again with "
         "--force", 1)  # fmt: skip


@plan.command("import")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--project", default=None, help="Override the spec's project.")
@click.option("--force", is_flag=True,
              help="Import even when this file, unchanged, was imported before.")  # fmt: skip
@json_option
def import_(spec: Path, project: str | None, force: bool, as_json: bool) -> None:
    """Validate SPEC and store it with routing assigned; print the plan id."""
    from convergio_tui.commands.plan_preview import import_summary, routed_counts, totals
    from convergio_tui.engine import budget
    from convergio_tui.engine.planner import (
        already_imported,
        prepare_plan,
        spec_digest,
        store_plan,
    )
    from convergio_tui.engine.preview import preview_plan

    ctx = context()
    cfg = ctx.config
    digest = spec_digest(spec)
    # Validate everything before touching the database so bad input writes nothing.
    prepared, ref = prepare_plan(spec, cfg, project)
    ctx.open_db()
    earlier = None if force else already_imported(spec, digest)
    if earlier is not None and earlier.project.path == ref.path:
        _refuse_duplicate(spec, earlier, as_json)
    plan_id = store_plan(prepared, ref, cfg, spec, spec_sha256=digest)
    rows = preview_plan(cfg, plan_id)
    today = budget.status(cfg.budget)
    if as_json:
        estimate, reserve = totals(rows)
        emit_json({"plan_id": plan_id, "name": prepared.name, "project": ref.name,
                   "waves": len(prepared.waves), "tasks": len(rows),
                   "providers": routed_counts(rows), "estimate_usd": round(estimate, 6),
                   "reserve_usd": round(reserve, 6), "next": f"convergio run {plan_id}"})  # fmt: skip
        return
    echo(plan_id)  # stdout stays the id alone: `id=$(convergio plan import x.yaml)` works
    for line in import_summary(plan_id, prepared.name, ref.name, len(prepared.waves), rows, today):
        echo(line, err=True)


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
    from convergio_tui.cli.output import write
    from convergio_tui.cli.reports.plan_show import plan_show_report
    from convergio_tui.store.queries import find_plan, plan_document

    context().open_db()
    found = find_plan(plan_ref)
    if found is None:
        fail(f"error: no plan {plan_ref!r} (see: convergio plan list)", 2)
    write(plan_show_report(plan_document(found), as_json))
