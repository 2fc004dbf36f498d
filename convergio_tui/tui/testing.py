"""Helpers for driving the dashboard headless: tests, the screenshot script, the bench."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

# How long a wait may take before it fails. A condition that holds is seen at once; the
# bound only matters for one that never does, and a loaded CI machine (2 cores, other jobs)
# can take well over 10 s to run a read and draw its frames.
DEFAULT_TIMEOUT_S = 30.0


def screen_text(app: App[object]) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False, safe_box=False)  # fmt: skip
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


async def wait_until(
    pilot: Pilot[object],
    condition: Callable[[], bool],
    timeout_s: float = DEFAULT_TIMEOUT_S,
    step_s: float = 0.05,
) -> None:
    """Let the app run until ``condition()`` holds; fail with TimeoutError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s}s")
        await pilot.pause(step_s)
    await asyncio.sleep(0)


async def wait_for_polls(
    pilot: Pilot[object], count: int = 1, timeout_s: float = DEFAULT_TIMEOUT_S
) -> None:
    """Wait until the main screen has applied ``count`` more polls."""
    start = getattr(pilot.app.screen, "polls", 0)
    await wait_until(
        pilot, lambda: getattr(pilot.app.screen, "polls", 0) >= start + count, timeout_s
    )


async def wait_for_main(pilot: Pilot[object], timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Wait until the main screen is up and has shown its first read."""
    await wait_until(
        pilot,
        lambda: (
            type(pilot.app.screen).__name__ == "MainScreen"
            and getattr(pilot.app.screen, "polls", 0) > 0
        ),
        timeout_s,
    )
