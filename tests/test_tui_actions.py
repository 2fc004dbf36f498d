"""Keys and the command palette: pause/resume, cancel a task, switch plan, switch theme."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui_fixtures import make_app

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import Plan, Task
from convergio_tui.tui.screens.confirm import ConfirmModal
from convergio_tui.tui.screens.plan_picker import PlanPickerModal
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.plan_header import PlanHeader
from convergio_tui.tui.widgets.task_table import TaskTable

SIZE = (160, 45)


def test_pause_and_resume_from_the_footer_key(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("p")
            await wait_until(pilot, lambda: Plan.get_by_id(sample.plan_id).status == "paused")
            await wait_until(pilot, lambda: "⏸ paused" in screen_text(app))
            await pilot.press("p")
            await wait_until(pilot, lambda: Plan.get_by_id(sample.plan_id).status == "doing")

    asyncio.run(scenario())


def test_cancel_asks_first_and_then_cancels_the_selected_task(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    target = sample.task_ids["T2-06"]  # queued

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            table.move_cursor(row=table.get_row_index(str(sample.task_ids["T1-01"])))
            await pilot.pause()
            assert app.screen.check_action("cancel_task", ()) is None  # done: dimmed
            table.move_cursor(row=table.get_row_index(str(target)))
            await pilot.pause()
            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            await pilot.press("n")  # the safe answer changes nothing
            await pilot.pause()
            assert Task.get_by_id(target).status == "queued"
            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            await pilot.press("y")
            await wait_until(pilot, lambda: Task.get_by_id(target).status == "cancelled")
            await wait_until(
                pilot, lambda: table.get_cell(str(target), "status").plain == "– cancelled"
            )

    asyncio.run(scenario())


def test_switch_plan_from_the_picker(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    other = sample_data.seed(
        isolated_home / "convergio.db", shipped_config, logs_dir=isolated_home / "logs2"
    )
    Task.update(title="only in the other plan").where(Task.id == other.task_ids["T3-04"]).execute()

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            assert "only in the other plan" not in screen_text(app)
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, PlanPickerModal))
            await wait_until(pilot, lambda: "add-login" in screen_text(app))
            await pilot.press("up")  # newest first: the other plan is above the current one
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.ctx.plan_id == other.plan_id)
            table = app.screen.query_one(TaskTable)
            await wait_until(pilot, lambda: table.line(other.task_ids["T3-04"]) is not None)
            assert table.row_count == 14 and table.line(sample.task_ids["T3-04"]) is None
            await wait_until(pilot, lambda: f"#{other.plan_id} add-login" in screen_text(app))

    asyncio.run(scenario())


def test_command_palette_has_area_verb_commands_and_switches_theme(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("ctrl+p")
            await pilot.press(*"pause")
            await wait_until(pilot, lambda: "plan: Pause or resume" in screen_text(app))
            await pilot.press("enter")
            await wait_until(pilot, lambda: Plan.get_by_id(sample.plan_id).status == "paused")
            await pilot.press("ctrl+p")
            await pilot.press(*"theme")
            await wait_until(pilot, lambda: "theme: Switch" in screen_text(app))
            await pilot.press("enter")
            await pilot.press(*"gio-li")  # only convergio-light matches
            await wait_until(pilot, lambda: "convergio-light" in screen_text(app))
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.theme == "convergio-light")
            header = app.screen.query_one(PlanHeader)
            assert header.is_mounted and app.current_theme.dark is False

    asyncio.run(scenario())
