"""Running the shown plan from the dashboard (``g``): the in-process engine takes it and
finishes it; refused, with the reason, when another process runs the plan or nothing is
left to run. The real engine, the simulated agents, a real ``convergio run`` process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

from engine_fixtures import (
    engine_config,
    engine_config_dict,
    import_spec,
    start_run,
    task,
    write_config,
)
from textual.pilot import Pilot
from tui_fixtures import press_to_quit

from convergio_tui.engine.resume import runner_alive
from convergio_tui.store.models import Plan, Run, Task
from convergio_tui.tui.app import ConvergioApp, create_app
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until

SIZE = (160, 45)


def notes(app: ConvergioApp, title: str) -> list[str]:
    return [n.message for n in app._notifications if n.title == title]


async def press_g(pilot: Pilot[None], app: ConvergioApp, title: str) -> str:
    """Press g on the main screen; the notification it ends with (``title``)."""
    before = len(notes(app, title))
    await pilot.press("g")
    await wait_until(pilot, lambda: len(notes(app, title)) > before, timeout_s=30)
    return notes(app, title)[-1]


def test_g_runs_the_shown_plan_here_until_it_is_done(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [
        [task("T1", "SIM: write a.txt <<<a\\n>>>")], [task("T2", "SIM: write b.txt <<<b\\n>>>")],
    ])  # fmt: skip

    async def scenario() -> None:
        app = create_app(engine_db, config, plan, poll_interval_s=0.1)  # watching only
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot, timeout_s=30)
            assert app.ctx.engine is None
            said = await press_g(pilot, app, "Run here")
            assert f"Plan {plan} runs in this dashboard now" in said
            engine = app.ctx.engine
            assert engine is not None and engine.plan_id == plan
            await wait_until(pilot, lambda: engine.state == "finished (done)", timeout_s=90)
            await wait_until(pilot, lambda: "finished in this dashboard" in screen_text(app))
            # Done: nothing left to run, and g says so instead of starting anything.
            said = await press_g(pilot, app, "Not started")
            assert f"Plan {plan} is done: nothing left to run" in said
            await press_to_quit(pilot, "q")  # the engine has finished: no question asked

    asyncio.run(scenario())
    assert Plan.get_by_id(plan).status == "done"
    assert {t.status for t in Task.select().where(Task.plan == plan)} == {"done"}
    assert Plan.get_by_id(plan).runner_pid is None  # the lock was given back


def test_g_is_refused_while_another_process_runs_the_plan(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    data = engine_config_dict(repo, ollama)
    cfg = write_config(tmp_path / "orchestrator.yaml", data)
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("H1", "SIM: lines=2\nSIM: mode=hang")]])
    runner = start_run(cfg, engine_db, plan)
    try:

        def running_elsewhere() -> bool:
            row = Plan.get_by_id(plan)
            return row.runner_pid == runner.pid and runner_alive(
                row.runner_pid, row.runner_started_at
            )

        async def scenario() -> None:
            app = create_app(engine_db, config, plan, poll_interval_s=0.1)
            async with app.run_test(size=SIZE) as pilot:
                await wait_for_main(pilot, timeout_s=20)
                await wait_until(pilot, running_elsewhere, timeout_s=30)
                await wait_until(
                    pilot,
                    lambda: Run.select().where(Run.status == "running").exists(),
                    timeout_s=30,
                )
                said = await press_g(pilot, app, "Not started")
                assert f"is already being run by process {runner.pid}" in said
                assert app.ctx.engine is None  # nothing started here
                # The header names the runner once its next poll has drawn it.
                await wait_until(pilot, lambda: str(runner.pid) in screen_text(app), timeout_s=30)

        asyncio.run(scenario())
        assert Plan.get_by_id(plan).runner_pid == runner.pid  # still the other process's
    finally:
        os.kill(runner.pid, signal.SIGINT)  # convergio run stops cleanly on Ctrl-C
        try:
            runner.wait(60)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.wait(10)
