"""The dashboard on a plan of 3,000 tasks read in small pages (40 rows first, then 500 a
page): the first screen comes with the first page, the rest fills in after it, and the
table behaves as on a small plan. The real app on a real SQLite file; how fast is
measured by bench/dashboard_refresh.py, not here."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import RenderableType
from textual.pilot import Pilot
from textual.screen import Screen

from convergio_tui.config.schema import Config
from convergio_tui.store.db import close_database, immediate, open_database
from convergio_tui.store.models import Plan, Project, Task, Wave
from convergio_tui.tui.app import ConvergioApp, create_app
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.filter_bar import FilterBar
from convergio_tui.tui.widgets.task_table import TaskTable

TASKS, WAVES = 3000, 3
FIRST, PAGE = 40, 500
SIZE = (160, 45)
LOADED_S = 60  # generous: a loaded CI machine, 3,000 rows in six pages


@pytest.fixture
def plan_id(isolated_home: Path) -> Iterator[int]:
    """A plan of ``TASKS`` pending tasks in ``WAVES`` waves (the database stays open for
    the test to write to, as another process would)."""
    open_database(isolated_home / "convergio.db")
    per_wave = TASKS // WAVES
    with immediate():
        project = Project.create(name="big", path=str(isolated_home))
        plan = Plan.create(project=project, name="big plan", status="doing")
        for w in range(1, WAVES + 1):
            wave = Wave.create(plan=plan, seq=w, name=f"wave {w}")
            Task.insert_many([
                {"plan": plan.id, "wave": wave.id, "code": f"B{w}-{i:04d}",
                 "title": f"task {w}.{i}", "prompt": "x", "type": "coding"}
                for i in range(per_wave)
            ]).execute()  # fmt: skip
    yield int(plan.id)
    close_database()


def make(home: Path, config: Config, plan_id: int) -> ConvergioApp:
    app = create_app(home / "convergio.db", config, plan_id, poll_interval_s=0.1)
    app.ctx.first_page, app.ctx.task_page = FIRST, PAGE
    return app


def table_of(app: ConvergioApp) -> TaskTable:
    return app.screen.query_one(TaskTable)


async def loaded_table(pilot: Pilot[None], app: ConvergioApp) -> TaskTable:
    """The main screen's table once every task of the plan is in it."""
    await wait_for_main(pilot)
    table = table_of(app)
    await wait_until(pilot, lambda: table.row_count == TASKS, LOADED_S)
    return table


def ids_in_order(plan_id: int) -> list[int]:
    return [t.id for t in Task.select(Task.id).where(Task.plan == plan_id).order_by(Task.code)]


def test_the_first_screen_shows_the_first_page_and_the_rest_fills_in_after_it(
    isolated_home: Path, shipped_config: Config, plan_id: int
) -> None:

    async def scenario() -> None:
        app = make(isolated_home, shipped_config, plan_id)
        rows_drawn: list[int] = []  # the table's rows at each frame the main screen drew
        heights: list[int] = []  # ... and its height to scroll through (rows and header)
        display = app._display

        def record(screen: Screen[object], renderable: RenderableType | None) -> None:
            if renderable is not None and type(screen).__name__ == "MainScreen":
                tables = screen.query(TaskTable)
                if tables and tables.first().row_count:
                    rows_drawn.append(tables.first().row_count)
                    heights.append(tables.first().virtual_size.height)
            display(screen, renderable)

        app._display = record  # type: ignore[method-assign]  (observes the frames)
        async with app.run_test(size=SIZE) as pilot:
            await loaded_table(pilot, app)
            # The next page is asked for only once a frame showed the first one.
            assert rows_drawn[0] == FIRST and rows_drawn[-1] == TASKS
            # The scrollbar spans the whole plan once the first page is in: the pages
            # coming in change no size (the rows not in yet are blank). Only the first
            # frames, drawn before the table measured itself, show the header alone.
            assert set(heights) <= {1, TASKS + 1} and heights[-1] == TASKS + 1
            assert "Tasks · 3000 · 0 running" in screen_text(app)

    asyncio.run(scenario())


def test_the_end_of_the_table_shows_the_last_task_and_a_status_change_shows_in_its_row(
    isolated_home: Path, shipped_config: Config, plan_id: int
) -> None:

    async def scenario() -> None:
        app = make(isolated_home, shipped_config, plan_id)
        async with app.run_test(size=SIZE) as pilot:
            table = await loaded_table(pilot, app)
            last = Task.get(Task.plan == plan_id, Task.code == f"B{WAVES}-{TASKS // WAVES - 1:04d}")
            assert [int(str(r.key.value)) for r in table.ordered_rows] == ids_in_order(plan_id)

            await pilot.press("ctrl+end")  # the last row, scrolled into view
            await wait_until(pilot, lambda: table.selected_task_id == last.id)
            await wait_until(pilot, lambda: last.code in screen_text(app))

            # Another process changes the task: the next read brings only what changed.
            Task.update(status="running").where(Task.id == last.id).execute()
            await wait_until(pilot, lambda: table.get_cell(str(last.id), "status").plain
                             == "▶ running")  # fmt: skip
            await wait_until(pilot, lambda: any(
                last.code in ln and "running" in ln for ln in screen_text(app).splitlines()))  # fmt: skip

            # A task deleted and one added: the ids are checked, the rows follow.
            wave = Wave.get(Wave.plan == plan_id, Wave.seq == 2)
            gone = Task.get(Task.plan == plan_id, Task.code == "B2-0007").id
            Task.delete().where(Task.id == gone).execute()
            new = Task.create(plan=plan_id, wave=wave, code="B2-0007a", title="added late",
                              prompt="x", type="coding")  # fmt: skip
            await wait_until(pilot, lambda: table.line(gone) is None and table.line(new.id))
            assert table.row_count == TASKS
            assert table.get_row_index(str(new.id)) == TASKS // WAVES + 7  # in its wave

    asyncio.run(scenario())


def test_the_filter_narrows_a_big_plan_and_esc_shows_it_all_again(
    isolated_home: Path, shipped_config: Config, plan_id: int
) -> None:

    async def scenario() -> None:
        app = make(isolated_home, shipped_config, plan_id)
        async with app.run_test(size=SIZE) as pilot:
            table = await loaded_table(pilot, app)
            await pilot.press("slash")
            bar = app.screen.query_one(FilterBar)
            await wait_until(pilot, lambda: bar.has_class("-open"))
            await pilot.press(*"wave:2 b2-09")
            await wait_until(pilot, lambda: table.row_count == 100)  # B2-0900 … B2-0999
            codes = [table.line(int(str(r.key.value))).code for r in table.ordered_rows]
            assert codes == [f"B2-{i:04d}" for i in range(900, 1000)]
            await wait_until(pilot, lambda: "Tasks · 100 of 3000 shown" in screen_text(app))
            await pilot.press("enter", "escape")
            await wait_until(pilot, lambda: table.row_count == TASKS)

    asyncio.run(scenario())
