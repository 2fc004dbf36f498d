"""``convergio task rerun ID|CODE`` (docs/cli.md): run a task again, in a new round.

Exit codes: 0 re-queued; 1 the task's state refuses it now (running or queued, its wave
under review, its plan cancelled); 2 bad input (unknown task or plan, a code in several
plans without ``--plan``, an unknown or disabled provider, a model the provider does not
offer, a cloud provider for a sensitive task). Nothing is written unless it exits 0.
"""

from __future__ import annotations

from typing import Any

import click

from convergio_tui.commands.common import context, echo, emit_json, fail, json_option
from convergio_tui.textsafe import one_line


@click.group()
def task() -> None:
    """Act on one task of a plan."""


def find_task(ref: str, plan_ref: str | None) -> Any:
    """The task ``ref`` names: with ``--plan``, a code (or id) of that plan's tasks;
    without, an id (digits) or a code no other plan uses. Exits 2 when it names none."""
    from convergio_tui.store.models import Plan, Task
    from convergio_tui.store.queries import find_plan

    if plan_ref is not None:
        plan = find_plan(plan_ref)
        if plan is None:
            fail(f"error: no plan {plan_ref!r} (see: convergio plan list)", 2)
        found = Task.get_or_none(Task.plan == plan.id, Task.code == ref)
        if found is None and ref.isdigit():
            found = Task.get_or_none(Task.plan == plan.id, Task.id == int(ref))
        if found is None:
            fail(
                f"error: plan {plan.id} has no task {ref!r} (see: convergio plan show {plan.id})", 2
            )
        return found
    if ref.isdigit():
        found = Task.get_or_none(Task.id == int(ref))
        if found is None:
            fail(f"error: no task with id {ref} (see: convergio plan show PLAN)", 2)
        return found
    matches = list(Task.select(Task, Plan).join(Plan).where(Task.code == ref).order_by(Plan.id))
    if not matches:
        fail(f"error: no task {ref!r} in any plan (see: convergio plan show PLAN)", 2)
    if len(matches) > 1:
        plans = ", ".join(str(t.plan_id) for t in matches)
        fail(f"error: task {ref!r} is in plans {plans}: name one with --plan PLAN", 2)
    return matches[0]


@task.command()
@click.argument("ref", metavar="ID|CODE")
@click.option("--plan", "plan_ref", default=None, metavar="PLAN",
              help="The plan (id or name) whose task CODE names.")  # fmt: skip
@click.option("--provider", default=None, help="Run the new round on this provider.")
@click.option("--model", default=None, help="Run the new round with this model.")
@click.option("--note", default=None, help="A note appended to the prompt for the new round.")
@json_option
def rerun(
    ref: str, plan_ref: str | None, provider: str | None, model: str | None, note: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Run a done, failed, skipped, cancelled or escalated task again, in a new round.

    It goes back to the queue (round + 1), optionally on another provider or model, with
    NOTE added to its prompt; its wave and plan open again. `convergio run PLAN` (or the
    dashboard) then runs it.
    """
    from convergio_tui.engine.rerun import RerunError, rerun_task
    from convergio_tui.engine.resume import runner_alive
    from convergio_tui.store.models import Plan
    from convergio_tui.thor.escalations import current_user

    ctx = context()
    config = ctx.config  # the provider and model are checked against it
    ctx.open_db()
    found = find_task(ref, plan_ref)
    try:
        done = rerun_task(int(found.id), config, current_user(), provider=provider,
                          model=model, note=note)  # fmt: skip
    except RerunError as exc:
        fail(f"error: {exc}", 2 if exc.bad_input or exc.not_found else 1)
    plan = Plan.get_by_id(done.plan_id)
    runner = plan.runner_pid if runner_alive(plan.runner_pid, plan.runner_started_at) else None
    if as_json:
        emit_json({**done.as_dict(), "runner_pid": runner})
        return
    target = f" on {done.provider}/{done.model}" if done.provider else ""
    echo(f"{done.code} re-run: round {done.round}, {done.status}{target} "
         f"(was {done.previous_status})")  # fmt: skip
    if done.escalation_id is not None:
        echo(f"escalation {done.escalation_id} closed as retried")
    if done.requeued:
        echo(f"queued again with it (they depend on it): {', '.join(done.requeued)}")
    if done.wave_reopened:
        echo(f"wave {done.wave_seq} is running again; later waves stay as they are")
    if done.plan_reopened:
        echo(f"plan {done.plan_id} {one_line(plan.name)} is doing again")
    if runner is not None:
        echo(f"the engine running the plan (process {runner}) picks it up")
    elif done.plan_status == "paused":
        echo(f"the plan is paused: resume it, then run it (convergio run {done.plan_id})")
    else:
        echo(f"run it with: convergio run {done.plan_id}")
