"""The output panes keep their places when the cursor moves: the selected task's is marked."""

from __future__ import annotations

import asyncio
from pathlib import Path

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.queries import RunningRun
from convergio_tui.tui.app import create_app
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.output_grid import OutputGrid, choose_runs
from convergio_tui.tui.widgets.output_pane import OutputPane
from convergio_tui.tui.widgets.task_table import TaskTable


def running(run_id: int, started_at: float) -> RunningRun:
    """A live run of task ``run_id * 10``."""
    return RunningRun(run_id, run_id * 10, f"T-{run_id}", "t", "claude", "m", 1, started_at, None)


def test_the_oldest_runs_keep_their_places_and_a_selected_newer_one_takes_the_last() -> None:
    runs = [running(4, 40.0), running(1, 10.0), running(3, 30.0), running(2, 10.0)]
    ids = lambda chosen: [r.run_id for r in chosen]  # noqa: E731
    assert ids(choose_runs(runs, None, 3)) == [1, 2, 3]  # oldest first, then by run
    assert ids(choose_runs(runs, 20, 3)) == [1, 2, 3]  # shown already: nothing moves
    assert ids(choose_runs(runs, 40, 3)) == [1, 2, 4]  # not shown: it takes the last place
    assert ids(choose_runs(runs, 40, 1)) == [4]  # one large pane: the selected task's
    assert ids(choose_runs(runs, 999, 1)) == [1]  # a task not running: the oldest
    # a task not running: what is shown stays while it runs and fills the panes
    assert ids(choose_runs(runs, 999, 3, shown=[1, 2, 4])) == [1, 2, 4]
    assert ids(choose_runs(runs, 999, 3, shown=[1, 4])) == [1, 2, 3]
    assert ids(choose_runs(runs, 999, 3, shown=[1, 2, 5])) == [1, 2, 3]
    assert ids(choose_runs([], 40, 3)) == []


def test_moving_the_cursor_marks_the_selected_pane_and_reuses_the_last_one(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    by_run = {run_id: code for code, run_id in sample.running_runs.items()}

    async def scenario() -> None:
        config = sample_data.sample_config(shipped_config)
        app = create_app(isolated_home / "convergio.db", config, sample.plan_id,
                         poll_interval_s=0.1, clock=lambda: sample_data.SAMPLE_NOW)  # fmt: skip
        async with app.run_test(size=(100, 45)) as pilot:  # two panes for three running tasks
            await wait_for_main(pilot)
            grid, table = app.screen.query_one(OutputGrid), app.screen.query_one(TaskTable)
            await wait_until(pilot, lambda: len(grid.shown_run_ids) == 2)
            panes = list(grid.query(OutputPane))
            first, second = (by_run[p.run.run_id] for p in panes)
            (third,) = set(sample.running_runs) - {first, second}
            await wait_until(pilot, lambda: all(p.lines_written > 0 for p in panes))

            def select(code: str) -> None:
                table.move_cursor(row=table.get_row_index(str(sample.task_ids[code])))

            def marked() -> list[str]:
                return [by_run[p.run.run_id] for p in grid.query(OutputPane) if p.selected]

            select(second)  # a shown task: the panes stay where they are, the mark moves
            await wait_until(pilot, lambda: marked() == [second])
            assert list(grid.query(OutputPane)) == panes
            assert [by_run[r] for r in grid.shown_run_ids] == [first, second]
            select(first)
            await wait_until(pilot, lambda: marked() == [first])
            assert list(grid.query(OutputPane)) == panes
            select(third)  # not shown: the last pane shows it, from its own log
            await wait_until(pilot, lambda: marked() == [third])
            assert list(grid.query(OutputPane)) == panes
            assert [by_run[r] for r in grid.shown_run_ids] == [first, third]
            await wait_until(pilot, lambda: panes[1].lines_written > 0)
            assert panes[1].run.run_id == sample.running_runs[third]
            await wait_until(pilot, lambda: f"{third} · " in screen_text(app))
            assert f"{second} · " not in screen_text(app)  # its title went with its run
            select("T1-01")  # a task not running: no pane is marked, the output stays
            await wait_until(pilot, lambda: marked() == [])
            assert [by_run[r] for r in grid.shown_run_ids] == [first, third]

    asyncio.run(scenario())
