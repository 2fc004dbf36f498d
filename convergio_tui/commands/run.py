"""``convergio run PLAN [--parallel N] [--dry-run]``: execute or resume a plan headless.

Exit codes (docs/cli.md): 0 the plan is done; 1 nothing more can move without a person
(pending escalations, blocked tasks — listed), the plan failed, or another runner owns
the plan; 2 bad input (unknown plan, invalid configuration). Ctrl-C stops cleanly
(running tasks go back to the queue) and exits 130; running again resumes.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from typing import TYPE_CHECKING, Any

import click

from convergio_tui.commands.common import context, echo, emit_json, fail
from convergio_tui.money import usd
from convergio_tui.textsafe import one_line

if TYPE_CHECKING:
    from convergio_tui.commands.run_display import PlainDisplay
    from convergio_tui.engine.events import EngineEvent
    from convergio_tui.engine.notify import Notifier

# The executor, notifications, the vault and the displays are imported by a real run
# only: `--dry-run` routes the plan and prints, and starts as fast as `plan show`.


def _dry_run(cfg: Any, plan: Any, as_json: bool) -> None:
    from convergio_tui.engine import budget
    from convergio_tui.engine.preview import preview_plan

    rows = preview_plan(cfg, plan.id)
    total = sum(r.estimate_usd for r in rows)
    today = budget.status(cfg.budget)
    headroom = max(0.0, today.headroom_usd)
    if as_json:
        emit_json({"plan_id": plan.id, "tasks": [r.as_dict() for r in rows],
                   "estimate_usd": round(total, 6), "budget": today.as_dict()})  # fmt: skip
        return
    lines = [f"plan {plan.id} {one_line(plan.name)}: dry run, nothing is executed"]
    for r in rows:
        target = f"{r.provider}·{r.model}" if r.provider else "BLOCKED"
        reserve = f"  reserve {usd(r.reserve_usd)}" if r.reserve_usd else ""
        lines.append(f"  w{r.wave} {r.code:<10} {target:<34} est {usd(r.estimate_usd)}{reserve}")
        lines.extend(f"      - {reason}" for reason in r.reasons)
    echo("\n".join(lines))  # one write: a line at a time costs a flush each on a big plan
    echo(f"estimated premium spend: {usd(total)}")
    echo(f"headroom today: {usd(headroom)} of the {usd(today.cap_usd)} cap "
         f"(spent {usd(today.spent_usd)}, reserved {usd(today.reserved_usd)}); each premium "
         "run holds its reservation while it runs")  # fmt: skip


def _notifier(cfg: Any, plan: Any, secrets: dict[str, str]) -> Notifier:
    """Notifications of this run (docs/configuration.md, ``notify``): the bell and OSC
    sequences on stderr when it is a terminal (stdout may carry JSON), notify-send, the
    webhook; what is new is read from the plan's journal on the notifier's own thread."""
    from convergio_tui.engine.notify import JournalWatch, Notifier

    return Notifier(
        cfg.notify, stream=sys.stderr if sys.stderr.isatty() else None, env=os.environ,
        notify_send=shutil.which("notify-send"), secrets=lambda: secrets.values(),
        source=JournalWatch(plan.id),
    )  # fmt: skip


def _report(summary: Any, as_json: bool) -> None:
    if as_json:
        emit_json(summary.as_dict())
        return
    echo(f"plan {summary.plan_id} {summary.status}: {summary.done}/{summary.total} tasks done, "
         f"{usd(summary.cost_usd)} spent" + (f" ({summary.message})" if summary.message else ""))  # fmt: skip
    if summary.waiting:
        echo("needs a person:" if summary.status != "done" else "notes:")
        for w in summary.waiting:
            echo(f"  {w.code:<10} {w.status:<10} {one_line(w.reason)}")
    if summary.handoff is not None:  # the final wave branch and how to take it
        from convergio_tui.engine.handoff import handoff_lines

        for line in handoff_lines(summary.handoff):
            echo(one_line(line))


@click.command()
@click.argument("plan_ref", metavar="PLAN")
@click.option("--parallel", type=click.IntRange(min=1), default=None,
              help="Tasks running at once (default: execution.max_parallel).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Show where each task would go and its cost.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
def run(plan_ref: str, parallel: int | None, dry_run: bool, as_json: bool) -> None:
    """Execute (or resume) PLAN (id or name) headless."""
    from convergio_tui.store.queries import find_plan

    ctx = context()
    cfg = ctx.config
    ctx.open_db()
    plan = find_plan(plan_ref)
    if plan is None:
        fail(f"error: no plan {plan_ref!r} (see: convergio plan list)", 2)
    if dry_run:
        _dry_run(cfg, plan, as_json)
        return
    from convergio_tui.commands.run_display import PlainDisplay, RichDisplay
    from convergio_tui.engine.control import resume_plan
    from convergio_tui.engine.executor import Executor
    from convergio_tui.engine.notify import engine_stopped, run_listener
    from convergio_tui.engine.resume import PlanBusy
    from convergio_tui.sandbox.confine import SandboxUnavailable
    from convergio_tui.store.models import Task
    from convergio_tui.tools.vault import Vault, VaultUnavailable

    try:  # a vault that cannot be opened stops the run before anything moves (docs/vault.md)
        secrets = Vault().secrets_for_run(plan.project.name)
    except VaultUnavailable as exc:
        fail(f"error: {exc}", 2)
    if resume_plan(plan.id):  # running a paused plan is an explicit request to go on
        click.echo(f"plan {plan.id} was paused: resuming it", err=True)
    total = Task.select().where(Task.plan == plan.id).count()
    done = Task.select().where(Task.plan == plan.id, Task.status == "done").count()
    display: PlainDisplay
    if as_json:
        display = PlainDisplay()
        display.handle = lambda event: None  # type: ignore[method-assign]
    elif sys.stdout.isatty():
        display = RichDisplay(total, done, plan.name)
    else:
        display = PlainDisplay()
    notifier = _notifier(cfg, plan, secrets)
    listen = run_listener(notifier, plan.name)

    def listener(event: EngineEvent) -> None:
        display.handle(event)
        listen(event)

    executor = Executor(cfg, plan.id, parallel=parallel, listener=listener)
    previous = signal.signal(signal.SIGTERM, lambda *_: executor.stop_event.set())
    interrupted = False
    thread = executor.start()
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        interrupted = True
        click.echo("stopping: running tasks go back to the queue…", err=True)
        executor.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
        display.close()
        if executor.error is not None and not isinstance(
            executor.error, (PlanBusy, SandboxUnavailable, VaultUnavailable)
        ):
            notifier.submit(engine_stopped(f"{type(executor.error).__name__}: {executor.error}"))
        notifier.close()
    if isinstance(executor.error, PlanBusy):
        fail(f"error: {executor.error}", 1)
    if isinstance(executor.error, (SandboxUnavailable, VaultUnavailable)):
        fail(f"error: {executor.error}", 2)
    if executor.error is not None:
        raise executor.error
    assert executor.summary is not None
    _report(executor.summary, as_json)
    raise click.exceptions.Exit(130 if interrupted else executor.summary.exit_code)
