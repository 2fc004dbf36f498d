"""The main screen at every size from 80×24 to 240×70: the table as tall as its rows up to
a share, the output panes the rest, the overview folded into the header on a short
terminal, and the keys a person needs first in the footer."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from tui_fixtures import make_app

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import Task
from convergio_tui.tui.main_layout import FOOTER, OUTPUT_MIN, TABLE_CHROME, main_layout
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.output_grid import OutputGrid
from convergio_tui.tui.widgets.task_table import TaskTable

SIZES = [(80, 24), (100, 30), (120, 36), (160, 45), (200, 55), (220, 60), (240, 70)]


@pytest.mark.parametrize("height", [h for _, h in SIZES])
@pytest.mark.parametrize("rows", [9, 14, 40, 10_000])
def test_every_part_gets_its_share_and_the_parts_add_up(height: int, rows: int) -> None:
    shares = main_layout(height, rows)
    assert shares.header + shares.overview + shares.table + shares.output + FOOTER == height
    assert shares.output >= OUTPUT_MIN  # the panes always show some output
    if rows + TABLE_CHROME <= shares.table:
        assert shares.table == rows + TABLE_CHROME  # no empty rows under a short plan
    assert shares.table <= round(0.6 * (height - shares.header - shares.overview - FOOTER))


def test_the_demos_nine_tasks_fit_at_80x24_with_output_under_them() -> None:
    shares = main_layout(24, 9)
    assert shares.overview == 0 and shares.header == 3  # folded into the header
    assert shares.table == 9 + TABLE_CHROME and shares.output >= OUTPUT_MIN


def test_nothing_running_gives_the_table_the_room_and_focus_gives_it_to_the_output() -> None:
    idle = main_layout(45, 40, live=False)
    busy = main_layout(45, 40)
    focused = main_layout(45, 40, output_focused=True)
    assert idle.table > busy.table > focused.table
    assert idle.output == 3  # "No task is running…"


def last_line(text: str) -> str:
    """The footer: the last line with something on it."""
    return [line for line in text.splitlines() if line.strip()][-1]


def rows_on_screen(text: str, codes: list[str]) -> list[str]:
    """The codes of the task rows on screen (not of the output panes' titles)."""
    found = {m.group(1) for m in re.finditer(r"^│ (\S+) ", text, re.MULTILINE)}
    return [code for code in codes if code in found]


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45), (200, 55)])
def test_the_main_screen_shares_its_height_sensibly(
    size: tuple[int, int], sample: sample_data.SampleIds, isolated_home: Path,
    shipped_config: Config,
) -> None:  # fmt: skip
    codes = [t.code for t in Task.select().where(Task.plan == sample.plan_id).order_by(Task.code)]

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=size) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            grid = app.screen.query_one(OutputGrid)
            expected = main_layout(size[1], len(codes))
            await wait_until(pilot, lambda: len(grid.shown_run_ids) > 0)
            await wait_until(pilot, lambda: table.outer_size.height == expected.table)
            want = min(len(codes), expected.table - TABLE_CHROME)  # rows that fit
            # The screen is painted after the layout, and the footer is redrawn when the
            # keys change: wait for one picture with all of it, then read that picture.
            seen: list[str] = []

            def settled() -> bool:
                text = screen_text(app)
                footer = last_line(text)
                seen[:] = [text]
                return len(rows_on_screen(text, codes)) == want and all(
                    key in footer for key in ("q Quit", "? Keys", "/ Filter", "n Next for you")
                )

            await wait_until(pilot, settled)
            text = seen[0]
            assert grid.outer_size.height >= OUTPUT_MIN
            visible = rows_on_screen(text, codes)
            assert visible == codes[:want]  # the first rows, in plan order
            if size[1] >= 40:  # tall: every task shows and no row of the table is empty
                assert visible == codes and table.outer_size.height == len(codes) + TABLE_CHROME
            if size == (80, 24):  # the overview's facts are on the header's third line
                assert "$8.37/$10.00 84% alert" in text and "3/4 up" in text

    asyncio.run(scenario())
