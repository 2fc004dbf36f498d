"""An output pane follows the end of its output, its scrollbar tracks the lines it holds,
and the lines it gains cost no layout of the whole screen (a layout draws every widget
again: with many panes streaming, one per batch of output stalled the keys)."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.screen import Screen

from convergio_tui.store.queries import RunningRun
from convergio_tui.tui.tailer import Drained
from convergio_tui.tui.testing import screen_text, wait_until
from convergio_tui.tui.themes import variable_defaults
from convergio_tui.tui.widgets.output_pane import OutputPane, PaneLog

RUN = RunningRun(1, 10, "T-1", "a task", "claude", "m", 1, 0.0, None)


class PaneApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return variable_defaults(self.current_theme)  # $frame, $status-running…

    def compose(self) -> ComposeResult:
        yield OutputPane(RUN, 0.0)


def test_a_pane_follows_its_output_without_laying_the_screen_out_again() -> None:

    async def scenario() -> None:
        app = PaneApp()
        async with app.run_test(size=(60, 12)) as pilot:
            pane = app.query_one(OutputPane)
            log = pane.query_one(PaneLog)
            pane.append(Drained([f"line {i}" for i in range(5)]))
            await wait_until(pilot, lambda: "line 4" in screen_text(app))

            # More lines than the pane is high: it scrolls to its end.
            pane.append(Drained([f"line {i}" for i in range(5, 40)]))
            await wait_until(pilot, lambda: "line 39" in screen_text(app))
            await wait_until(pilot, lambda: log.virtual_size.width == len("line 39"))
            assert log.show_vertical_scrollbar
            assert log.vertical_scrollbar.window_virtual_size == 40

            layouts: list[int] = []
            screen: Screen[object] = app.screen
            laid_out = screen._refresh_layout

            def counted(*args: object, **kwargs: object) -> None:
                if not kwargs.get("scroll"):  # a scroll reflows what is in view only
                    layouts.append(1)
                laid_out(*args, **kwargs)  # type: ignore[arg-type]

            screen._refresh_layout = counted  # type: ignore[method-assign]  (observes)
            for batch in range(40, 200, 20):
                pane.append(Drained([f"line {i}" for i in range(batch, batch + 20)]))
                await pilot.pause()
            await wait_until(pilot, lambda: "line 199" in screen_text(app))
            assert log.scroll_y == log.max_scroll_y  # following the end
            assert log.vertical_scrollbar.window_virtual_size == 200
            assert log.vertical_scrollbar.position == log.scroll_y
            assert layouts == []

            # Scrolled up by the reader, the pane stays where it is as lines come.
            log.scroll_home(animate=False)
            await pilot.pause()
            pane.append(Drained(["line 200"]))
            await pilot.pause()
            assert log.scroll_y == 0 and "line 0" in screen_text(app)
            assert log.vertical_scrollbar.window_virtual_size == 201

    asyncio.run(scenario())
