"""A run that ran on a Ray node (``execution.backend: ray``) says which node in the task
detail's run table, like any other run otherwise. The real app on the seeded sample."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui_fixtures import make_app

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import Run
from convergio_tui.tui.screens.task_detail import TaskDetailScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.run_table import RunTable

SIZE = (160, 45)


def test_the_task_detail_names_the_node_a_run_ran_on(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T1-01"]
    run = Run.select().where(Run.task == task_id).order_by(Run.id).first()
    Run.update(node="gpu-box/1a2b3c4d").where(Run.id == run.id).execute()

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            app.push_screen(TaskDetailScreen(app.screen.ctx, task_id))
            await wait_until(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
            table = app.screen.query_one(RunTable)
            await wait_until(pilot, lambda: table.row_count > 0, timeout_s=30)
            row = [str(cell) for cell in table.get_row(str(run.id))]
            assert f"{run.provider} @ gpu-box/1a2b3c4d" in row
            await wait_until(pilot, lambda: "gpu-box/1a2b3c4d" in screen_text(app), timeout_s=30)

    asyncio.run(scenario())
