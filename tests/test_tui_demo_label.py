"""``convergio demo`` says on screen that its agents are simulated; a real dashboard not."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.tui.app import create_app
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until

LABEL = "DEMO · simulated agents"


@pytest.mark.parametrize("size", [(160, 45), (100, 30)], ids=["wide", "narrow"])
@pytest.mark.parametrize("demo", [True, False], ids=["demo", "real"])
def test_the_demo_label_is_on_screen_only_in_the_demo(
    demo: bool,
    size: tuple[int, int],
    sample: sample_data.SampleIds,
    isolated_home: Path,
    shipped_config: Config,
) -> None:
    async def scenario() -> None:
        config = sample_data.sample_config(shipped_config)
        app = create_app(isolated_home / "convergio.db", config, sample.plan_id,
                         clock=lambda: sample_data.SAMPLE_NOW, demo=demo)  # fmt: skip
        async with app.run_test(size=size) as pilot:
            await wait_for_main(pilot)
            # The plan is still named beside it (once the first read is drawn).
            await wait_until(
                pilot, lambda: "add-login" in screen_text(app).splitlines()[0], timeout_s=30
            )
            header_line = screen_text(app).splitlines()[0]
            assert (LABEL in header_line) is demo
            assert ("DEMO" in app.title) is demo
            assert (app.sub_title == "simulated agents") is demo

    asyncio.run(scenario())


@pytest.mark.parametrize("mode", ["off", "auto"])
def test_unsandboxed_agents_are_said_in_the_header(
    mode: str, sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        config = sample_data.sample_config(shipped_config)
        config = config.model_copy(
            update={"sandbox": config.sandbox.model_copy(update={"mode": mode})}
        )
        app = create_app(isolated_home / "convergio.db", config, sample.plan_id,
                         clock=lambda: sample_data.SAMPLE_NOW)  # fmt: skip
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for_main(pilot)
            await wait_until(
                pilot, lambda: "add-login" in screen_text(app).splitlines()[0], timeout_s=30
            )
            header_line = screen_text(app).splitlines()[0]
            assert ("agents unsandboxed" in header_line) is (mode == "off")

    asyncio.run(scenario())
