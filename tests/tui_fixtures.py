"""Fixtures for dashboard tests: the seeded sample plan and an app polling it fast."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.notifications import Notification
from textual.pilot import Pilot

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.db import close_database
from convergio_tui.tui.app import ConvergioApp, create_app


@pytest.fixture
def sample(isolated_home: Path, shipped_config: Config) -> Iterator[sample_data.SampleIds]:
    """The sample plan (T2-03 escalated after three rounds) in a fresh database."""
    ids = sample_data.seed(
        isolated_home / "convergio.db", shipped_config, logs_dir=isolated_home / "logs"
    )
    yield ids
    close_database()


def make_app(home: Path, config: Config, plan_id: int | None) -> ConvergioApp:
    """The dashboard on the sample, polling fast, at the sample's fixed moment."""
    return create_app(
        home / "convergio.db",
        sample_data.sample_config(config),
        plan_id,
        poll_interval_s=0.1,
        clock=lambda: sample_data.SAMPLE_NOW,
    )


def record_notifications(app: App[object]) -> list[Notification]:
    """Every notification ``app`` raises from now on, kept for the test to read.

    ``app._notifications`` holds only the toasts still on screen: each expires after a
    few seconds, and on a loaded machine a test can take longer than that to reach the
    assertion about it. The app's own ``notify`` still runs: the toasts are shown as ever.
    """
    seen: list[Notification] = []
    shown = app.notify

    def notify(message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:  # fmt: skip
        seen.append(Notification(message, title, severity, timeout or 0.0, markup))  # type: ignore[arg-type]
        shown(message, title=title, severity=severity, timeout=timeout, markup=markup)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    return seen


async def press_to_quit(pilot: Pilot[Any], key: str, timeout_s: float = 60.0) -> None:
    """Press ``key``, which quits the app, and wait until the app has stopped.

    ``Pilot.press`` then waits for every widget of the screen to handle one more message;
    those widgets close as the app quits, and on a loaded machine one can close between
    the two and never answer (``WaitForScreenTimeout`` after 30 s). The key goes through
    the app's own key handling all the same (``App.simulate_key``).
    """
    app = pilot.app
    app.simulate_key(key)
    deadline = time.monotonic() + timeout_s
    while app.is_running:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app still runs {timeout_s}s after {key!r}")
        await asyncio.sleep(0.05)
