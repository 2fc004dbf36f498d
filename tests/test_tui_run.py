"""``dashboard --run``: the engine runs in the app's process and quitting stops it cleanly."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import psutil
from engine_fixtures import engine_config, import_spec, task
from tui_fixtures import press_to_quit

from convergio_tui.store.models import Plan, Run, Task
from convergio_tui.tui.app import create_app
from convergio_tui.tui.screens.confirm import ConfirmModal
from convergio_tui.tui.testing import wait_for_main, wait_until
from convergio_tui.tui.widgets.output_pane import OutputPane
from convergio_tui.tui.widgets.task_table import TaskTable


def live(pid: int | None) -> bool:
    """The process exists and is not a zombie."""
    if not pid or not psutil.pid_exists(pid):
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_quitting_while_tasks_run_leaves_no_thread_and_no_process(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[
        task("Q1", "SIM: lines=3\nSIM: mode=hang"), task("Q2", "SIM: lines=3\nSIM: mode=hang"),
    ]])  # fmt: skip
    before = set(threading.enumerate())
    pids: list[int] = []

    async def scenario() -> None:
        app = create_app(engine_db, config, plan, run=True, poll_interval_s=0.1)
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for_main(pilot, timeout_s=30)
            await wait_until(
                pilot, lambda: Run.select().where(Run.status == "running", Run.pid.is_null(False)).count() == 2,
                timeout_s=30,
            )  # fmt: skip
            pids.extend(r.pid for r in Run.select().where(Run.status == "running"))
            assert all(live(p) for p in pids)
            table = app.screen.query_one(TaskTable)
            await wait_until(pilot, lambda: sum(t.status == "running" for t in table.lines()) == 2)
            await wait_until(pilot, lambda: len(app.screen.query(OutputPane)) == 2)
            assert "in this dashboard (running)" in app.ctx.engine_label()
            await pilot.press("q")  # the engine runs here: it asks first
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            await press_to_quit(pilot, "y")
        assert not app.is_running

    asyncio.run(scenario())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (set(threading.enumerate()) - before):
        time.sleep(0.05)
    assert [t.name for t in set(threading.enumerate()) - before] == []
    assert [p for p in pids if live(p)] == []
    assert Run.select().where(Run.status == "running").count() == 0
    assert {t.status for t in Task.select().where(Task.plan == plan)} <= {"queued", "pending"}


VERIFY = "python -c 'from calc import add; assert add(2, 3) == 5'"


def test_approving_in_the_dashboard_lets_the_in_process_engine_finish_the_plan(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    never_good = task(
        "T1-01",
        "Write calc.add.\nSIM: write calc.py <<<def add(a, b):\\n    return a - b\\n>>>\n"
        "SIM: write tests/test_calc.py <<<def test_calc():\\n    assert True\\n>>>\n",
        provider="claude", files=["calc.py"], verify=[VERIFY],
    )  # fmt: skip
    later = task("T2-01", "Docs.\nSIM: write docs/USAGE.txt <<<usage\\n>>>\n", provider="claude")
    plan = import_spec(config, tmp_path, [[never_good], [later]])

    async def scenario() -> None:
        app = create_app(engine_db, config, plan, run=True, poll_interval_s=0.1)
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for_main(pilot, timeout_s=30)
            engine = app.ctx.engine
            assert engine is not None
            # three rejected rounds, then the engine stops: nothing moves without a person
            await wait_until(pilot, lambda: engine.state.startswith("finished"), timeout_s=90)
            assert Task.get(Task.code == "T1-01").status == "escalated"
            await pilot.press("e")
            await wait_until(pilot, lambda: bool(getattr(app.screen, "lines", ())))
            await pilot.press("enter")
            await wait_until(pilot, lambda: getattr(app.screen, "detail", None) is not None)
            await pilot.press("a")  # shows what failed and asks once more
            await wait_until(pilot, lambda: getattr(app.screen, "confirming", False))
            assert Task.get(Task.code == "T1-01").status == "escalated"  # nothing decided yet
            await pilot.press("a")
            await wait_until(
                pilot, lambda: Task.get(Task.code == "T2-01").status == "done", timeout_s=60
            )
            await wait_until(pilot, lambda: engine.state == "finished (done)", timeout_s=30)
            await press_to_quit(pilot, "q")  # the engine is done: no question asked

    asyncio.run(scenario())
    assert Plan.get_by_id(plan).status == "done"
