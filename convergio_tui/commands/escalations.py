"""``convergio escalations list|show|approve|retry|reject|resolve`` (docs/cli.md).

Exit codes: 0 done; 1 the escalation was already decided, or cannot be resolved yet
(conflicts left, uncommitted changes); 2 bad input (unknown id, unknown provider,
--provider/--model without retry, an approval not confirmed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from convergio_tui.commands.common import context, echo, emit_json, fail, json_option
from convergio_tui.money import usd
from convergio_tui.textsafe import one_line, printable


@click.group()
def escalations() -> None:
    """Tasks Thor rejected too often: list them and decide."""


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


@escalations.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include decided escalations.")
@click.option("--plan", "plan_id", type=int, default=None, help="Only this plan's.")
@json_option
def list_(show_all: bool, plan_id: int | None, as_json: bool) -> None:
    """Pending escalations (with --all, decided ones too)."""
    from convergio_tui.store.queries.escalations import list_escalations

    context().open_db()
    views = list_escalations(None if show_all else "pending", plan_id)
    if as_json:
        emit_json({"escalations": [_counted(v.as_dict()) for v in views]})
        return
    if not views:
        echo("no pending escalations" if not show_all else "no escalations")
        return
    for v in views:
        gates = _last_failing(v.rounds)
        echo(
            f"{v.id:>4}  {v.status:<8} plan {v.plan_id} wave {v.wave_seq} {v.task_code:<8} "
            f"{len(v.rounds)} round(s)  {usd(v.spend_usd)}  {_when(v.created_at)}  "
            f"{one_line(v.task_title)}"
        )
        echo(f"      last failing gates: {', '.join(gates) or '-'}")
        if v.rounds:
            echo(f"      last round: {one_line(_summary(v.rounds[-1]))}")
    echo("decide with: convergio escalations show|approve|retry|reject|resolve ID")


def _last_failing(rounds: list[dict[str, Any]]) -> list[str]:
    """Names of the gates that failed in the last rejected round."""
    gates: list[dict[str, Any]] = rounds[-1].get("gates", []) if rounds else []
    return [str(g.get("name")) for g in gates if g.get("verdict") == "fail"]


def _summary(record: dict[str, Any]) -> str:
    """One round's gates counted apart: passed, failed, skipped and why (a round recorded
    before the summary was kept is counted from its gates)."""
    from convergio_tui.thor.summary_text import record_summary

    return str(record.get("summary") or record_summary(record)["summary"])


def _counted(view: dict[str, Any]) -> dict[str, Any]:
    """An escalation's JSON form with each round's ``summary`` and its ``passed``,
    ``failed`` and ``skipped`` counts (filled in for rounds recorded without them)."""
    from convergio_tui.thor.summary_text import record_summary

    view["rounds"] = [{**record_summary(r), **r} for r in view.get("rounds", [])]
    return view


@escalations.command("show")
@click.argument("escalation_id", type=int)
@json_option
def show(escalation_id: int, as_json: bool) -> None:
    """Every round's gate evidence, the diff stat and the spend of one escalation."""
    from convergio_tui.store.queries.escalations import escalation

    context().open_db()
    view = escalation(escalation_id)
    if view is None:
        fail(f"error: no escalation {escalation_id} (see: convergio escalations list)", 2)
    if as_json:
        emit_json(_counted(view.as_dict()))
        return
    echo(f"escalation {view.id} [{view.status}] {view.task_code} {one_line(view.task_title)}")
    echo(f"plan {view.plan_id} {one_line(view.plan_name)}, wave {view.wave_seq}; round {view.round}; "
               f"{view.provider}/{view.model}; spent {usd(view.spend_usd)}")  # fmt: skip
    echo(f"reason: {view.reason}")
    for r in view.rounds:
        echo(f"\n--- round {r.get('round')} ({r.get('scope', 'task')}) ---")
        echo(f"  {one_line(_summary(r))}")
        for g in r.get("gates", []):
            echo(f"  gate {g['gate']} {g['name']}: {g['verdict']}")
            if g.get("evidence"):
                echo("    " + str(g["evidence"]).replace("\n", "\n    "))
    if view.diff_stat:
        echo(f"\ndiff stat:\n{view.diff_stat}")
    if view.conflict:
        _show_conflict(view.id, view.conflict)
    if view.decided_by:
        echo(f"\ndecided by {view.decided_by} at {_when(view.decided_at or 0)}: {view.note or ''}")


def _show_conflict(escalation_id: int, conflict: dict[str, Any]) -> None:
    """Where approved work no longer merges, and the ways forward."""
    paths = ", ".join(one_line(str(p)) for p in conflict.get("paths") or []) or "-"
    echo(f"\nconflicts with {one_line(str(conflict.get('wave_branch')))} in {paths}")
    if conflict.get("worktree"):
        echo(f"worktree: {one_line(str(conflict['worktree']))}")
    for way in conflict.get("ways_forward") or []:
        echo(f"  - {one_line(str(way)).replace('resolve ID', f'resolve {escalation_id}')}")


def _decide(action: str, escalation_id: int, note: str | None, provider: str | None,
            model: str | None, as_json: bool) -> None:  # fmt: skip
    from convergio_tui.thor.escalations import EscalationError, current_user, decide

    ctx = context()
    config = ctx.config if provider or model else None  # to validate provider/model names
    ctx.open_db()
    try:
        view = decide(escalation_id, action, current_user(), note, provider, model, config=config)
    except EscalationError as exc:
        fail(f"error: {exc}", 2 if exc.not_found or exc.bad_input else 1)
    if as_json:
        emit_json(_counted(view.as_dict()))
        return
    echo(f"escalation {view.id} {view.status} by {view.decided_by}: {view.task_code} "
               f"is now {_status_of(view.task_id, view.wave_id)}")  # fmt: skip
    echo("run `convergio run PLAN` again to continue the plan")


def _status_of(task_id: int | None, wave_id: int) -> str:
    """The escalated task's status, or the wave's for a wave's escalation."""
    from convergio_tui.store.models import Task, Wave

    if task_id is None:
        return str(Wave.get_by_id(wave_id).status)
    return str(Task.get_by_id(task_id).status)


note_option = click.option("--note", default=None, help="A note kept with the decision.")


@escalations.command()
@click.argument("escalation_id", type=int)
@note_option
@click.option("--yes", is_flag=True, help="Approve without being asked once more.")
@json_option
def approve(escalation_id: int, note: str | None, yes: bool, as_json: bool) -> None:
    """Accept the task as done (validated_by human:<you>), after saying what failed."""
    _confirm_approval(escalation_id, yes)
    _decide("approve", escalation_id, note, None, None, as_json)


def _confirm_approval(escalation_id: int, yes: bool) -> None:
    """Say which gates the work failed and what merging it means; ask once more (on a
    terminal), or require --yes (elsewhere: a script must say it on purpose)."""
    import sys

    from convergio_tui.store.queries.escalations import escalation
    from convergio_tui.thor.approval import approval_warning

    context().open_db()
    view = escalation(escalation_id)
    if view is None or view.status != "pending":
        return  # unknown ids and decided escalations are reported by the decision
    warning = approval_warning(view.rounds)
    if warning is None:
        return
    click.echo(printable(warning), err=True)  # evidence quotes agents: no raw controls
    if yes:
        return
    if not sys.stdin.isatty():
        fail("error: not approved: add --yes to approve it anyway", 2)
    if not click.confirm("Approve it anyway?", default=False, err=True):
        fail("not approved", 1)


@escalations.command()
@click.argument("escalation_id", type=int)
@note_option
@click.option("--provider", default=None, help="Run the next round on this provider.")
@click.option("--model", default=None, help="Run the next round with this model.")
@json_option
def retry(escalation_id: int, note: str | None, provider: str | None, model: str | None,
          as_json: bool) -> None:  # fmt: skip
    """One more round, optionally elsewhere; the note is added to the prompt."""
    _decide("retry", escalation_id, note, provider, model, as_json)


@escalations.command()
@click.argument("escalation_id", type=int)
@note_option
@json_option
def resolve(escalation_id: int, note: str | None, as_json: bool) -> None:
    """You fixed the task by hand in its worktree and committed: accept its branch as it
    now is (refused while it conflicts with its wave branch or has uncommitted changes)."""
    _decide("resolve", escalation_id, note, None, None, as_json)


@escalations.command()
@click.argument("escalation_id", type=int)
@note_option
@json_option
def reject(escalation_id: int, note: str | None, as_json: bool) -> None:
    """Give up on the task: it fails and its wave is blocked."""
    _decide("reject", escalation_id, note, None, None, as_json)
