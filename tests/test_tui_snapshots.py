"""SVG snapshots of the main screen, the task detail and the approval modal at 160×45, of
the main screen at the other sizes a person uses (80×24, 100×30, 220×60) and in the other
shipped themes, of the escalation inbox, the diff view and the New plan screen.

Review the SVGs under tests/__snapshots__ when they change (pytest --snapshot-update).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.devtools.screenshots import (
    sample_app,
    settle,
    show_approval,
    show_inbox,
    show_main,
    show_task_detail,
)
from convergio_tui.store.db import close_database
from convergio_tui.tui.app import ConvergioApp
from convergio_tui.tui.themes import DEFAULT_THEME

SIZE = (160, 45)
Steps = Callable[[Pilot[None], sample_data.SampleIds], Awaitable[None]]


def compare(
    snap_compare: Callable[..., bool], app: ConvergioApp, ids: sample_data.SampleIds,
    steps: Steps, size: tuple[int, int] = SIZE,
) -> None:  # fmt: skip
    """Drive ``app`` through ``steps`` and compare the picture with its snapshot."""

    async def run_before(pilot: Pilot[None]) -> None:
        await steps(pilot, ids)

    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        close_database()


@pytest.mark.parametrize(
    "steps", [show_main, show_task_detail, show_approval], ids=["main", "task-detail", "approval"]
)
def test_snapshot(
    steps: Steps, snap_compare: Callable[..., bool], isolated_home: Path, shipped_config: Config
) -> None:
    app, ids = sample_app(isolated_home, sample_data.sample_config(shipped_config))
    compare(snap_compare, app, ids, steps)


async def _show_detail_diff(pilot: Pilot[None], ids: sample_data.SampleIds) -> None:
    """The task detail of T2-03 on its Diff tab."""
    await show_task_detail(pilot, ids)
    await pilot.press("v")
    await _diff_loaded(pilot)


async def _show_approval_diff(pilot: Pilot[None], ids: sample_data.SampleIds) -> None:
    """The escalation dialog of T2-03, its diff zoomed."""
    await show_approval(pilot, ids)
    await _diff_loaded(pilot)
    await pilot.press("z")
    await settle(pilot)


async def _diff_loaded(pilot: Pilot[None]) -> None:
    from convergio_tui.tui.testing import wait_until
    from convergio_tui.tui.widgets.diff_view import DiffView

    view = pilot.app.screen.query_one(DiffView)
    await wait_until(pilot, lambda: view.rendered is not None and bool(view.rendered.starts))
    await settle(pilot)


@pytest.mark.parametrize(
    "steps", [_show_detail_diff, _show_approval_diff], ids=["detail-diff", "approval-diff"]
)
def test_snapshot_diff_view(
    steps: Steps, snap_compare: Callable[..., bool], isolated_home: Path, shipped_config: Config
) -> None:
    """The diff view on a real branch of T2-03 (fixed commits: tests/diff_fixtures.py)."""
    from diff_fixtures import give_branch

    app, ids = sample_app(isolated_home, sample_data.sample_config(shipped_config))
    give_branch(ids.task_ids["T2-03"])
    compare(snap_compare, app, ids, steps)


@pytest.mark.parametrize(
    "size", [(80, 24), (100, 30), (220, 60)], ids=["80x24", "100x30", "220x60"]
)
def test_snapshot_main_sizes(
    size: tuple[int, int], snap_compare: Callable[..., bool], isolated_home: Path,
    shipped_config: Config,
) -> None:  # fmt: skip
    """The main screen sharing its height at a small, a medium and a large terminal (160×45
    is ``test_snapshot[main]``): every task row or as many as fit, the output panes below."""
    app, ids = sample_app(isolated_home, sample_data.sample_config(shipped_config))
    compare(snap_compare, app, ids, show_main, size)


def test_snapshot_new_plan(
    snap_compare: Callable[..., bool], isolated_home: Path, shipped_config: Config
) -> None:
    """The New plan screen (N) with a drafted plan for the sample project: its routing, the
    cost against today's headroom, the file (tests/new_plan_sample.py)."""
    from new_plan_sample import sample_config_with_webapp, show_new_plan

    app, ids = sample_app(isolated_home, sample_config_with_webapp(shipped_config, isolated_home))
    compare(snap_compare, app, ids, show_new_plan)


@pytest.mark.parametrize(
    ("theme", "steps"),
    [("convergio-light", show_main), ("convergio-contrast", show_main),
     (DEFAULT_THEME, show_inbox)],
    ids=["main-light", "main-contrast", "inbox"],
)  # fmt: skip
def test_snapshot_themes_and_inbox(
    theme: str, steps: Steps, snap_compare: Callable[..., bool], isolated_home: Path,
    shipped_config: Config,
) -> None:  # fmt: skip
    """The main screen in the other shipped themes, and the escalation inbox."""
    app, ids = sample_app(isolated_home, sample_data.sample_config(shipped_config), theme)
    compare(snap_compare, app, ids, steps)
