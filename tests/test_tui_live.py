"""The main screen live: another writer's changes, streaming output, the budget gauge."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import Event, Ledger, Run, Task, now
from convergio_tui.tui.app import ConvergioApp, create_app
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.budget_gauge import BudgetGauge
from convergio_tui.tui.widgets.output_pane import OutputPane
from convergio_tui.tui.widgets.task_table import TaskTable

SIZE = (160, 45)


def app_for(home: Path, config: Config, plan_id: int, **changes: object) -> ConvergioApp:
    """The dashboard on the sample, polling fast, with the budget in UTC (and ``changes``)."""
    config = sample_data.sample_config(config)
    if changes:
        config = config.model_copy(update={"budget": config.budget.model_copy(update=changes)})
    clock = lambda: sample_data.SAMPLE_NOW  # noqa: E731  (the sample's moment)
    return create_app(home / "convergio.db", config, plan_id, poll_interval_s=0.1, clock=clock)


def write_from_thread(work: Callable[[], object]) -> None:
    """Write as another process would: on another thread, with its own connection."""
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)


def test_table_reflects_changes_made_by_another_thread(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    t31, t21 = sample.task_ids["T3-01"], sample.task_ids["T2-01"]

    async def scenario() -> None:
        app = app_for(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            assert table.get_cell(str(t31), "status").plain == "· pending"
            table.move_cursor(row=table.get_row_index(str(t21)))

            def engine_moves_on() -> None:
                Task.update(status="running", provider="gemini", model="gemini-2.5-flash").where(
                    Task.id == t31).execute()  # fmt: skip
                Run.update(status="succeeded", finished_at=now(), cost_usd=1.5).where(
                    Run.id == sample.running_runs["T2-01"]).execute()  # fmt: skip

            write_from_thread(engine_moves_on)
            await wait_until(pilot, lambda: table.get_cell(str(t31), "status").plain == "▶ running")
            assert table.get_cell(str(t31), "target").plain == "gemini·gemini-2.5-flash"
            await wait_until(pilot, lambda: table.get_cell(str(t21), "cost").plain == "$1.50")
            # updated in place: same rows, the cursor did not move
            assert table.row_count == 14 and table.selected_task_id == t21
            assert "T3-01" in screen_text(app)

    asyncio.run(scenario())


def test_output_pane_streams_new_lines_of_a_running_task(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    run_id = sample.running_runs["T2-01"]
    log = Path(Run.get_by_id(run_id).log_path)

    async def scenario() -> None:
        app = app_for(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            panes = {p.run.run_id: p for p in app.screen.query(OutputPane)}
            assert set(panes) == set(sample.running_runs.values())
            pane = panes[run_id]
            await wait_until(pilot, lambda: pane.lines_written > 0)
            with log.open("a") as handle:
                handle.write("[out] brand new line from the agent\n[err] and a warning\n")
            await wait_until(pilot, lambda: "[err] and a warning" in pane.query_one("Log").lines)
            assert "brand new line from the agent" in pane.query_one("Log").lines
            # The pane scrolls to its new lines: drawn at the next frame.
            await wait_until(
                pilot, lambda: "brand new line from the agent" in screen_text(app), timeout_s=30
            )

    asyncio.run(scenario())


def test_budget_gauge_turns_amber_at_80_percent_then_red_at_the_cap(
    sample: sample_data.SampleIds,
    isolated_home: Path,
    shipped_config: Config,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The sample spends $8.37 today; with a $20 cap that is 41.85%.
    async def scenario() -> None:
        app = app_for(isolated_home, shipped_config, sample.plan_id, max_premium_per_day=20.0)
        bells: list[int] = []
        monkeypatch.setattr(app, "bell", lambda: bells.append(1))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            gauge = app.screen.query_one(BudgetGauge)
            assert gauge.level == "ok" and not gauge.has_class("-alert")

            def charge(usd: float) -> None:
                write_from_thread(lambda: Ledger.create(
                    ts=sample_data.SAMPLE_NOW - 30, provider="claude", model="claude-opus-4-5",
                    kind="charge", usd=usd, premium=True))  # fmt: skip

            charge(16.0 - 8.37)  # exactly 80% of $20
            await wait_until(pilot, lambda: gauge.has_class("-alert"))
            assert gauge.level == "alert" and not gauge.has_class("-capped")
            assert gauge.border_subtitle == "ALERT"
            # the gauge tells the screen, which notifies and rings once
            await wait_until(pilot, lambda: bells == [1])
            assert any(n.title == "Budget alert" for n in app._notifications)
            await wait_until(pilot, lambda: "80%" in screen_text(app), timeout_s=30)

            charge(4.0)  # the cap
            await wait_until(pilot, lambda: gauge.has_class("-capped"))
            await wait_until(pilot, lambda: bells == [1, 1])
            assert any(n.title == "Budget cap reached" for n in app._notifications)

    asyncio.run(scenario())


def test_budget_gauge_shows_headroom_reservations_and_overruns(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    # The sample spends $8.37 today against $20: reserving $3 for a run leaves $8.63; a
    # CLI without a hard limit that then costs more than it reserved is called out.
    async def scenario() -> None:
        app = app_for(isolated_home, shipped_config, sample.plan_id, max_premium_per_day=20.0)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            gauge = app.screen.query_one(BudgetGauge)
            await wait_until(pilot, lambda: "$11.63 headroom" in screen_text(app))
            run_id = Run.select(Run.id).order_by(Run.id.desc()).scalar()
            write_from_thread(lambda: Ledger.create(
                ts=sample_data.SAMPLE_NOW - 30, provider="gemini", model="gemini-2.5-pro",
                run=run_id, kind="reserve", usd=3.0, premium=True))  # fmt: skip
            await wait_until(pilot, lambda: "$8.63 headroom" in screen_text(app))
            write_from_thread(lambda: Event.create(
                ts=sample_data.SAMPLE_NOW - 20, level="warning", kind="budget.overrun",
                plan=sample.plan_id, message="gemini cost more than reserved",
                data={"run": run_id, "provider": "gemini", "model": "gemini-2.5-pro",
                      "reserved": 3.0, "actual": 4.5}))  # fmt: skip
            await wait_until(pilot, lambda: "OVERRUN" in str(gauge.border_subtitle))
            assert "gemini $4.50 > $3.00" in str(gauge.border_subtitle)

    asyncio.run(scenario())
