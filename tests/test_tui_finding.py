"""Finding a task on the main screen: ``/`` filters the table by status, provider, wave or
text, esc clears it, ``n`` jumps to the next task that needs a person. The real app on the
seeded sample database; what is shown is checked against the database."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from tui_fixtures import make_app

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import Task
from convergio_tui.store.states import TASK_NEEDS_PERSON
from convergio_tui.tui.app import ConvergioApp
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.filter_bar import FilterBar
from convergio_tui.tui.widgets.task_table import TaskTable

SIZE = (160, 45)


def shown(app: ConvergioApp) -> list[int]:
    """Task ids with a row, top to bottom."""
    table = app.screen.query_one(TaskTable)
    return [int(str(row.key.value)) for row in table.ordered_rows]


def plan_order(plan_id: int, **where: object) -> list[int]:
    """The plan's task ids in table order (by code), narrowed by ``where``."""
    query = Task.select().where(Task.plan == plan_id)
    for field, value in where.items():
        query = query.where(getattr(Task, field) << value) if isinstance(value, (list, set)) \
            else query.where(getattr(Task, field) == value)  # fmt: skip
    return [t.id for t in query.order_by(Task.code)]


async def type_filter(pilot: object, app: ConvergioApp, text: str) -> None:
    """Press ``/`` and type ``text`` into the filter bar."""
    await pilot.press("slash")  # type: ignore[attr-defined]
    bar = app.screen.query_one(FilterBar)
    await wait_until(pilot, lambda: bar.has_class("-open"))  # type: ignore[arg-type]
    await pilot.press(*text)  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: bar.text == text)  # type: ignore[arg-type]


def test_slash_filters_by_status_provider_wave_and_text_and_esc_shows_every_task_again(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    plan = sample.plan_id

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, plan)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            everything = plan_order(plan)
            assert shown(app) == everything and len(everything) == 14

            await type_filter(pilot, app, "status:escalated")
            await wait_until(pilot, lambda: shown(app) == plan_order(plan, status="escalated"))
            assert shown(app) == [sample.task_ids["T2-03"]]
            # The count in the table's title and the bar's note: drawn at the next frame.
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                "Tasks · 1 of 14 shown", "1 of 14 · enter keeps · esc clears")),
                timeout_s=30)  # fmt: skip
            await pilot.press("enter")  # keeps the filter, back to the table
            await wait_until(pilot, lambda: table.has_focus)
            assert shown(app) == [sample.task_ids["T2-03"]]

            await pilot.press("escape")  # esc on the table clears the filter
            await wait_until(pilot, lambda: shown(app) == everything)
            assert not app.screen.query_one(FilterBar).has_class("-open")
            await wait_until(pilot, lambda: "Tasks · 14 · 3 running" in screen_text(app),
                             timeout_s=30)  # fmt: skip

            for typed, where in (
                ("provider:claude", {"provider": "claude"}),
                ("wave:2", {"code": [c for c in sample.task_ids if c.startswith("T2-")]}),
                ("status:run,valid", {"status": ["running", "validating"]}),
            ):
                await type_filter(pilot, app, typed)
                await wait_until(pilot, lambda w=where: shown(app) == plan_order(plan, **w))
                await pilot.press("escape")  # in the bar: clears and closes it
                await wait_until(pilot, lambda: shown(app) == everything)

            await type_filter(pilot, app, "LOGIN wave:3")  # words: code or title, any case
            wave3_login = [sample.task_ids["T3-01"], sample.task_ids["T3-03"]]
            await wait_until(pilot, lambda: shown(app) == wave3_login)
            titles = {Task.get_by_id(t).title.lower() for t in wave3_login}
            assert all("login" in title for title in titles)

    asyncio.run(scenario())


def test_a_filter_it_cannot_read_says_why(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await type_filter(pilot, app, "colour:red")
            await wait_until(pilot, lambda: "unknown key 'colour'" in screen_text(app))
            assert len(shown(app)) == 14  # what is not understood narrows nothing
            await pilot.press(*" status:escalatd")
            # The note was already on screen: wait for the table to take the new text.
            await wait_until(pilot, lambda: shown(app) == [], timeout_s=30)
            # A misspelt status matches no task, and the unknown key is still said.
            await wait_until(pilot, lambda: "unknown key 'colour'" in screen_text(app))
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(shown(app)) == 14)
            # A provider typed as a plain word matches no code or title: the bar says how.
            await type_filter(pilot, app, "copilot")
            await wait_until(pilot, lambda: "type provider:copilot" in screen_text(app))
            assert shown(app) == []

    asyncio.run(scenario())


def test_rows_join_and_leave_a_filter_in_place_as_tasks_change(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    ids = sample.task_ids

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            await type_filter(pilot, app, "status:running")
            running = [ids["T2-01"], ids["T2-02"], ids["T2-05"]]
            await wait_until(pilot, lambda: shown(app) == running)
            await pilot.press("enter")
            table.move_cursor(row=table.get_row_index(str(ids["T2-05"])))

            def engine_moves_on() -> None:  # another writer, as the engine in another process
                Task.update(status="running").where(Task.id == ids["T1-04"]).execute()
                Task.update(status="validating").where(Task.id == ids["T2-02"]).execute()

            thread = threading.Thread(target=engine_moves_on)
            thread.start()
            thread.join(10)
            # T1-04 joins above (plan order), T2-02 leaves; the cursor stays on T2-05.
            await wait_until(
                pilot, lambda: shown(app) == [ids["T1-04"], ids["T2-01"], ids["T2-05"]]
            )
            assert table.selected_task_id == ids["T2-05"]
            assert shown(app) == plan_order(sample.plan_id, status="running")

    asyncio.run(scenario())


def test_n_jumps_to_the_next_task_that_needs_a_person_round_the_end(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    ids = sample.task_ids
    Task.update(status="failed").where(Task.id == ids["T1-02"]).execute()
    needing = plan_order(sample.plan_id, status=list(TASK_NEEDS_PERSON))
    assert needing == [ids["T1-02"], ids["T2-03"]]

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            table.move_cursor(row=table.get_row_index(str(ids["T1-03"])))
            await pilot.press("n")
            await wait_until(pilot, lambda: table.selected_task_id == ids["T2-03"])
            # Scrolled into view at 100×30 (the table scrolls after its next refresh).
            await wait_until(pilot, lambda: "Fix flaky sessi" in screen_text(app), timeout_s=30)
            await pilot.press("n")  # past the end: round to the top
            await wait_until(pilot, lambda: table.selected_task_id == ids["T1-02"])
            # With a filter hiding them, n says so instead of doing nothing.
            await type_filter(pilot, app, "wave:3")
            await pilot.press("enter")
            await wait_until(pilot, lambda: len(shown(app)) == 4)
            await wait_until(pilot, lambda: table.has_focus)  # else n goes into the bar
            await pilot.press("n")
            await wait_until(pilot, lambda: "2 task(s) need you, but the filter hides them"
                             in " ".join(n.message for n in app._notifications))  # fmt: skip

    asyncio.run(scenario())


def test_n_says_so_when_no_task_needs_a_person(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    Task.update(status="queued").where(Task.id == sample.task_ids["T2-03"]).execute()

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            before = table.selected_task_id
            await pilot.press("n")
            await wait_until(pilot, lambda: any("No task needs you now" in n.message
                                                for n in app._notifications))  # fmt: skip
            assert table.selected_task_id == before

    asyncio.run(scenario())


def test_the_palette_offers_the_filter_and_the_next_task_that_needs_you(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            await pilot.press("ctrl+p")
            await pilot.press(*"next that")
            await wait_until(pilot, lambda: "tasks: Next that needs you" in screen_text(app))
            await pilot.press("enter")
            await wait_until(pilot, lambda: table.selected_task_id == sample.task_ids["T2-03"])
            assert Task.get_by_id(table.selected_task_id).status == "escalated"

    asyncio.run(scenario())


def test_the_task_table_has_the_focus_and_the_footer_the_screens_keys_from_the_start(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    """The closed filter field must not take the first focus: the footer then showed only
    its own keys (esc Clear filter, / Filter) and never q, e, n... in the demo."""
    from textual.widgets import Footer

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            assert isinstance(app.focused, TaskTable)

            def keys() -> str:
                footer = app.screen.query_one(Footer)
                return " ".join(str(child.render()) for child in footer.children)

            await wait_until(pilot, lambda: "q Quit" in keys() and "e Escalations" in keys())
            assert "Clear filter" not in keys()
            await type_filter(pilot, app, "wave:1")
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.focused, TaskTable))
            await pilot.press("escape")  # clears the filter; the field stays out of reach
            await wait_until(pilot, lambda: not app.screen.query_one(FilterBar).text)
            assert isinstance(app.focused, TaskTable)

    asyncio.run(scenario())
