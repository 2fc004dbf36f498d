"""``convergio dashboard [PLAN] [--run]``: the full-screen dashboard."""

from __future__ import annotations

from typing import Any

import click

from convergio_tui.commands.common import context, fail


@click.command()
@click.argument("plan_ref", required=False, metavar="[PLAN]")
@click.option("--run", "run_plan", is_flag=True,
              help="Also execute PLAN in this process; quitting stops it cleanly.")  # fmt: skip
@click.option("--theme", default=None, metavar="NAME",
              help="convergio-dark (default), convergio-light, convergio-contrast, "
                   "or a theme file in $CONVERGIO_HOME/themes.")  # fmt: skip
def dashboard(plan_ref: str | None, run_plan: bool, theme: str | None) -> None:
    """Open the dashboard on PLAN (id or name; default: the plan running now, else the newest).

    It reads the database live, so it works beside a `convergio run` in another terminal.
    """
    from convergio_tui.store.db import open_database
    from convergio_tui.store.queries import find_plan, probe_database

    ctx = context()
    cfg = ctx.config
    if run_plan and not plan_ref:
        fail("error: --run needs a PLAN (id or name); see: convergio plan list", 2)
    plan_id: int | None = None
    if run_plan:
        ctx.open_db()  # like `convergio run`: create or upgrade the schema first
    if plan_ref:
        probe = probe_database(ctx.db_path)
        if probe.ok:
            open_database(ctx.db_path, migrate_schema=False)
            found = find_plan(plan_ref)
            if found is None:
                fail(f"error: no plan {plan_ref!r} (see: convergio plan list)", 2)
            plan_id = int(found.id)
            if run_plan:
                _refuse_if_busy(found)
        # otherwise the dashboard itself explains what is wrong with the database

    from convergio_tui.tui.app import create_app

    create_app(ctx.db_path, cfg, plan_id, run_plan, theme=theme).run()


def _refuse_if_busy(plan: Any) -> None:
    """``--run`` on a plan another live process runs: say so and exit 1 (as ``convergio
    run`` does) rather than open a dashboard whose engine cannot start."""
    import os
    from datetime import datetime

    from convergio_tui.engine.resume import runner_alive

    pid, started = plan.runner_pid, plan.runner_started_at
    if pid and pid != os.getpid() and runner_alive(pid, started):
        since = f", started {datetime.fromtimestamp(started):%H:%M:%S}" if started else ""
        fail(
            f"error: plan {plan.id} ({plan.name}) is already being run by process {pid}{since}; "
            f"watch it without --run: convergio dashboard {plan.id}",
            1,
        )
