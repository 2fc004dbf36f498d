"""The dashboard's gate evidence heads each round with its passes, failures and skips
counted apart: a round of skips is never shown as "passed"."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui_fixtures import make_app

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import GateResult
from convergio_tui.tui.screens.task_detail import TaskDetailScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until

SIZE = (160, 45)


def test_task_detail_counts_passes_and_skips_apart(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T3-04"]  # no gate result yet in the sample
    rows = [(1, "compliance", "pass", "agent succeeded; 2 file(s) changed"),
            (2, "quality", "skip", "no lint_commands configured"),
            (4, "repo", "pass", "branch is not main"),
            (8, "tdd", "skip", "no code changed and no test_command configured")]  # fmt: skip
    for gate, name, verdict, evidence in rows:
        GateResult.create(task=task_id, round=1, gate=gate, name=name, verdict=verdict,
                          evidence=evidence)  # fmt: skip
    for gate, name, verdict, evidence in rows:  # round 2: every gate skipped
        GateResult.create(task=task_id, round=2, gate=gate, name=name, verdict="skip",
                          evidence=evidence if verdict == "skip" else "nothing to check")  # fmt: skip

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            app.push_screen(TaskDetailScreen(app.screen.ctx, task_id))
            # Both rounds drawn (the evidence box fills in one read, but the screen may be
            # caught between two frames on a busy machine).
            await wait_until(
                pilot,
                lambda: (
                    "Round 1 — accepted: 2 passed, 2 skipped" in screen_text(app)
                    and "Round 2 — rejected: 0 passed, 4 skipped" in screen_text(app)
                ),
                timeout_s=30,
            )
            text = screen_text(app)
            assert "no lint_commands configured" in text  # each skip's reason on its line
            assert "passed: 4 gates" not in text

    asyncio.run(scenario())


def test_a_rejected_round_names_its_failed_gates(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]  # escalated: gate 8 failed in each of three rounds

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            app.push_screen(TaskDetailScreen(app.screen.ctx, task_id))
            await wait_until(
                pilot, lambda: "Round 1 — rejected: 5 passed, 1 failed (tdd)" in screen_text(app)
            )

    asyncio.run(scenario())
