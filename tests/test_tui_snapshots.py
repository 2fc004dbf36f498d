"""SVG snapshots of the main screen, the task detail and the approval modal at 160×45.

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
    show_approval,
    show_main,
    show_task_detail,
)
from convergio_tui.store.db import close_database

SIZE = (160, 45)


@pytest.mark.parametrize(
    "steps", [show_main, show_task_detail, show_approval], ids=["main", "task-detail", "approval"]
)
def test_snapshot(
    steps: Callable[[Pilot[None], sample_data.SampleIds], Awaitable[None]], snap_compare: Callable[..., bool], isolated_home: Path,
    shipped_config: Config,
) -> None:  # fmt: skip
    app, ids = sample_app(isolated_home, sample_data.sample_config(shipped_config))

    async def run_before(pilot: Pilot[None]) -> None:
        await steps(pilot, ids)

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    finally:
        close_database()
