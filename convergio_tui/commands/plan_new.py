"""``convergio plan new "GOAL"``: a planning agent drafts the plan, the validator judges it
(two more rounds with its errors), the result is shown as ``run --dry-run`` shows a plan,
written to a file and imported after a confirmation (docs/cli.md, docs/plan-format.md).

Exit codes: 0 a valid plan was drafted and written (imported or not); 1 no valid plan
after three rounds, or no provider may plan now (privacy, health, budget); 2 bad input
(an empty or oversized goal, a project that cannot be used, an existing ``--out`` without
``--force``, no sandbox); 130 stopped with Ctrl-C (the run is cancelled, nothing written).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import click

from convergio_tui.commands.common import context, echo, emit_json, fail, json_option
from convergio_tui.engine.planning.files import GOAL_MAX_BYTES, slug
from convergio_tui.engine.planning.files import project_value as _project_value
from convergio_tui.engine.planning.files import write_plan as _write
from convergio_tui.money import usd
from convergio_tui.textsafe import one_line


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _check_out(out: Path, force: bool, as_json: bool) -> None:
    if out.is_dir():
        fail(f"error: --out: {out} is a directory: name a file", 2)
    if out.exists() and not force:
        if as_json or not _interactive():
            fail(f"error: --out: {out} exists: pass --force to overwrite it, or another --out", 2)
        if not click.confirm(f"{out} exists: overwrite it?", default=False, err=True):
            fail("nothing drafted: choose another --out", 2)


def _draft(cfg: Any, target: Any, brief: Any, as_json: bool) -> Any:
    """Run the rounds on an engine thread; Ctrl-C cancels the running agent."""
    from convergio_tui.engine.planning.dispatch import check_health, planning_context
    from convergio_tui.engine.planning.draft import PlanningFailed, draft_plan

    stop = threading.Event()
    pctx = planning_context(cfg, target, stop)
    check_health(pctx, target)
    outcome: dict[str, Any] = {}

    def said(r: Any) -> None:
        if as_json:
            return
        a = r.attempt
        verdict = "a valid plan" if not r.problems else f"refused: {one_line(r.problems[0])}"
        more = f" (+{len(r.problems) - 1} more)" if len(r.problems) > 1 else ""
        echo(f"round {r.number}: {a.provider}·{a.model} run {a.run_id}, {usd(a.cost_usd)}: "
             f"{verdict}{more}", err=True)  # fmt: skip

    def work() -> None:
        try:
            outcome["draft"] = draft_plan(pctx, target, brief, cancel=stop, on_round=said)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="plan-new", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        echo("stopping the planning run…", err=True)
        stop.set()
        thread.join()
    error = outcome.get("error")
    if isinstance(error, PlanningFailed):
        return error
    if error is not None:
        raise error
    return outcome["draft"]


def _failed(failure: Any, as_json: bool) -> None:
    rounds = [r.as_dict() for r in failure.rounds]
    if as_json:
        emit_json({"ok": False, "error": str(failure), "file": None, "imported": False,
                   "plan_id": None, "rounds": rounds,
                   "planning_cost_usd": round(failure.cost_usd, 6)})  # fmt: skip
    else:
        echo(f"error: {failure}", err=True)
        for r in failure.rounds:
            for problem in r.problems[:10]:
                echo(f"  round {r.number}: {one_line(problem)}", err=True)
        echo(f"planning runs charged {usd(failure.cost_usd)}; nothing was written or imported",
             err=True)  # fmt: skip
    raise click.exceptions.Exit(130 if failure.stopped else 1)


@click.command("new")
@click.argument("goal")
@click.option("--project", default=None,
              help="A project of the configuration, or a repository's top folder (default: .).")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="The plan file to write (default: plans/<slug>.yaml in the project).")  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite --out when it exists.")
@click.option("--yes", is_flag=True, help="Import the drafted plan without asking.")
@json_option
def new(goal: str, project: str | None, out: Path | None, force: bool, yes: bool,
        as_json: bool) -> None:  # fmt: skip
    """Have an agent draft a plan for GOAL, validate it, show its routing, write and import it."""
    from convergio_tui.engine import budget
    from convergio_tui.engine.planner import prepare_plan, spec_digest, store_plan
    from convergio_tui.engine.planning.dispatch import close_stale_runs, planning_target
    from convergio_tui.engine.planning.draft import Brief, PlanningFailed
    from convergio_tui.engine.planning.preview import preview_spec
    from convergio_tui.engine.planning.repo_view import read_repo_view
    from convergio_tui.engine.planning.template import plan_template
    from convergio_tui.engine.projects import resolve_project
    from convergio_tui.sandbox.confine import SandboxUnavailable, require_sandbox

    if not goal.strip():
        fail("error: GOAL: is empty: say what the plan should achieve", 2)
    if len(goal.encode("utf-8", "surrogateescape")) > GOAL_MAX_BYTES:
        fail(f"error: GOAL: is over {GOAL_MAX_BYTES // 1024} KiB: put the details in a file "
             "of the repository and have the goal point at it", 2)  # fmt: skip
    ctx = context()
    cfg = ctx.config
    # Path("--project").parent is ".": a relative --project is read from the current folder.
    ref = resolve_project(project or ".", cfg, Path("--project"))
    out = (out if out is not None else Path(ref.path) / "plans" / f"{slug(goal)}.yaml").absolute()
    _check_out(out, force, as_json)
    try:
        require_sandbox(cfg)
    except SandboxUnavailable as exc:
        fail(f"error: {exc}", 2)
    ctx.open_db()
    close_stale_runs(cfg)
    target = planning_target(cfg, ref)
    view = read_repo_view(Path(ref.path), cfg, ref.name if ref.configured else None)
    brief = Brief(goal, _project_value(ref, out), out.parent, view.render(), plan_template())
    if not as_json:
        echo(f"drafting a plan for {one_line(ref.name)} ({ref.path}), privacy "
             f"{target.privacy}: up to 3 rounds…", err=True)  # fmt: skip
    drafted = _draft(cfg, target, brief, as_json)
    if isinstance(drafted, PlanningFailed):
        _failed(drafted, as_json)
    rows = preview_spec(cfg, drafted.spec, ref)
    today = budget.status(cfg.budget)
    last = drafted.rounds[-1].attempt
    header = (f"# Drafted by `convergio plan new` ({last.provider}·{last.model}, "
              f"{len(drafted.rounds)} round{'s' if len(drafted.rounds) > 1 else ''}). "
              "Edit it freely; docs/plan-format.md explains every key.\n")  # fmt: skip
    _write(out, drafted.text, header)
    plan_id: int | None = None
    if yes or (not as_json and _interactive() and _show_and_ask(drafted, rows, today, out)):
        digest = spec_digest(out)
        spec, stored_ref = prepare_plan(out, cfg)
        plan_id = store_plan(spec, stored_ref, cfg, out, spec_sha256=digest)
    _report(drafted, ref, rows, today, out, plan_id, as_json, shown=not yes and _interactive())


def _show(drafted: Any, rows: Any, today: Any, out: Path) -> None:
    from convergio_tui.commands.plan_preview import preview_lines

    spec = drafted.spec
    tasks = sum(len(w.tasks) for w in spec.waves)
    echo(f"plan draft {one_line(spec.name)!r}: {len(spec.waves)} wave"
         f"{'s' if len(spec.waves) > 1 else ''}, {tasks} task{'s' if tasks > 1 else ''}; "
         f"planning cost {usd(drafted.cost_usd)} in {len(drafted.rounds)} round"
         f"{'s' if len(drafted.rounds) > 1 else ''}")  # fmt: skip
    for line in preview_lines(rows, today, [w.name for w in spec.waves]):
        echo(line)
    echo(f"written to {out}")


def _show_and_ask(drafted: Any, rows: Any, today: Any, out: Path) -> bool:
    _show(drafted, rows, today, out)
    return click.confirm("import it now?", default=True, err=True)


def _report(drafted: Any, ref: Any, rows: Any, today: Any, out: Path, plan_id: int | None,
            as_json: bool, *, shown: bool) -> None:  # fmt: skip
    from convergio_tui.commands.plan_preview import totals

    next_command = (f"convergio run {plan_id}" if plan_id is not None
                    else f"convergio plan import {out}")  # fmt: skip
    if as_json:
        estimate, reserve = totals(rows)
        emit_json({
            "ok": True, "file": str(out), "imported": plan_id is not None, "plan_id": plan_id,
            "next": next_command, "name": drafted.spec.name, "project": ref.name,
            "rounds": [r.as_dict() for r in drafted.rounds],
            "planning_cost_usd": round(drafted.cost_usd, 6),
            "tasks": [r.as_dict() for r in rows], "estimate_usd": round(estimate, 6),
            "reserve_usd": round(reserve, 6), "budget": today.as_dict(),
        })  # fmt: skip
        return
    if not shown:
        _show(drafted, rows, today, out)
    if plan_id is None:
        echo(f"not imported: review {out}, then: {next_command}")
    else:
        echo(f"imported as plan {plan_id}")
        echo(f"next: convergio run {plan_id} --dry-run, then {next_command}")
