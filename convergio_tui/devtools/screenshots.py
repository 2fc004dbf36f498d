"""Render the dashboard's screens from the sample database into SVG files.

    python -m convergio_tui.devtools.screenshots [--out screenshots] [--size 160x45]

Writes ``main.svg``, ``task-detail.svg`` and ``approval.svg`` (dark theme), and
``main-<theme>.svg`` for the other shipped themes. The database is seeded in a temporary
``CONVERGIO_HOME`` at a fixed moment, so the files only change when the UI does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot

from convergio_tui import paths
from convergio_tui.config.loader import load_config
from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.tui.app import ConvergioApp, create_app
from convergio_tui.tui.testing import wait_for_polls, wait_until
from convergio_tui.tui.themes import DEFAULT_THEME

Steps = Callable[[Pilot[None], sample_data.SampleIds], Awaitable[None]]


async def show_main(pilot: Pilot[None], ids: sample_data.SampleIds) -> None:
    """The main screen after its first read, with the panes' output in."""
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "MainScreen")
    await wait_for_polls(pilot, 1)
    await wait_until(pilot, lambda: "waiting for output" not in _subtitles(pilot.app))
    await settle(pilot)


async def settle(pilot: Pilot[None]) -> None:
    """Let the last change be drawn, then clear the toasts: one caught mid-flight (or gone
    on a slow machine) would make a picture depend on timing. The sample's data is fixed,
    so no new one comes after."""
    await pilot.pause(0.3)
    pilot.app.clear_notifications()


def _subtitles(app: App[None]) -> str:
    from convergio_tui.tui.widgets.output_pane import OutputPane

    return " ".join(str(p.border_subtitle) for p in app.screen.query(OutputPane))


async def show_task_detail(pilot: Pilot[None], ids: sample_data.SampleIds) -> None:
    """The detail of the escalated task T2-03."""
    from convergio_tui.tui.widgets.task_table import TaskTable

    await show_main(pilot, ids)
    table = pilot.app.screen.query_one(TaskTable)
    table.move_cursor(row=table.get_row_index(str(ids.task_ids["T2-03"])))
    await pilot.press("enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "detail", None) is not None)
    await settle(pilot)


async def show_inbox(pilot: Pilot[None], ids: sample_data.SampleIds) -> None:
    """The escalation inbox with the sample's pending escalation."""
    await show_main(pilot, ids)
    await pilot.press("e")
    await wait_until(pilot, lambda: bool(getattr(pilot.app.screen, "lines", ())))
    # The footer takes the inbox's keys once the rows are in (its bindings are refreshed
    # then, and it redraws after): a busy machine can show it still empty.
    await wait_until(pilot, lambda: "Approve" in _footer_keys(pilot.app))
    await settle(pilot)


def _footer_keys(app: App[None]) -> str:
    from textual.widgets import Footer

    footers = app.screen.query(Footer)
    return " ".join(str(key.render()) for footer in footers for key in footer.children)


async def show_approval(pilot: Pilot[None], ids: sample_data.SampleIds) -> None:
    """The inbox, then the approval modal of the first escalation."""
    await show_inbox(pilot, ids)
    await pilot.press("enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "detail", None) is not None)
    # The diff is read apart (from git, on its own worker): a picture taken before it
    # arrives shows "reading the diff…" on a busy machine.
    await wait_until(pilot, lambda: _diff_read(pilot.app))
    await settle(pilot)


def _diff_read(app: App[None]) -> bool:
    from convergio_tui.tui.widgets.diff_view import DiffView

    return any(view.rendered is not None for view in app.screen.query(DiffView))


SHOTS: dict[str, Steps] = {
    "main": show_main,
    "task-detail": show_task_detail,
    "approval": show_approval,
}


def sample_app(
    home: Path, config: Config, theme: str = DEFAULT_THEME
) -> tuple[ConvergioApp, sample_data.SampleIds]:
    """A dashboard on a freshly seeded sample database under ``home``, at the sample moment."""
    db = home / "convergio.db"
    ids = sample_data.seed(db, config, logs_dir=home / "logs")
    app = create_app(db, config, ids.plan_id, clock=lambda: sample_data.SAMPLE_NOW, theme=theme)
    return app, ids


async def render(name: str, steps: Steps, out: Path, size: tuple[int, int], theme: str) -> Path:
    """Seed, drive the app to the screen, and save it as ``out/<name>.svg``."""
    with tempfile.TemporaryDirectory(prefix="convergio-shot-") as tmp:
        os.environ["CONVERGIO_HOME"] = tmp
        config = sample_data.sample_config(load_config(paths.shipped_config_path()))
        app, ids = sample_app(Path(tmp), config, theme)
        async with app.run_test(size=size) as pilot:
            await steps(pilot, ids)
            path = out / f"{name}.svg"
            path.write_text(app.export_screenshot(title=f"Convergio — {name}"), encoding="utf-8")
    return path


async def render_all(out: Path, size: tuple[int, int]) -> list[Path]:
    """Every screenshot: each screen in the default theme, the main screen in the others."""
    out.mkdir(parents=True, exist_ok=True)
    written = [await render(name, steps, out, size, DEFAULT_THEME) for name, steps in SHOTS.items()]
    for theme in ("convergio-light", "convergio-contrast"):
        written.append(
            await render(f"main-{theme.removeprefix('convergio-')}", show_main, out, size, theme)
        )
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="output directory")
    parser.add_argument("--size", default="160x45", help="terminal size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    saved_home = os.environ.get("CONVERGIO_HOME")
    try:
        for path in asyncio.run(render_all(args.out, (width, height))):
            print(path)
    finally:
        if saved_home is None:
            os.environ.pop("CONVERGIO_HOME", None)
        else:
            os.environ["CONVERGIO_HOME"] = saved_home


if __name__ == "__main__":
    main()
