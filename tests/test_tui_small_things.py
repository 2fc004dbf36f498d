"""Small things that add up: ``?`` toggles the key help and esc closes it, the theme is
remembered, screenshots go to a folder that exists, dialogs wrap, gate evidence keeps its
indentation, the inbox's waiting time moves, the header reads naturally, columns fit their
content and no timer outlives its screen. The real app on the seeded sample database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tui_fixtures import make_app, press_to_quit, record_notifications

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import GateResult, Task
from convergio_tui.store.queries import GateLine
from convergio_tui.tui.app import ConvergioApp, create_app
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.gate_evidence import INDENT, UNDER, round_content
from convergio_tui.tui.widgets.plan_header import engine_words
from convergio_tui.tui.widgets.task_table import TaskTable

SIZE = (160, 45)


def said(app: ConvergioApp, title: str = "") -> str:
    """Every notification's text (of ``title``), one per line."""
    return "\n".join(n.message for n in app._notifications if not title or n.title == title)


def test_question_mark_toggles_the_key_help_and_esc_closes_it_on_any_screen(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            helping = lambda: bool(app.screen.query("HelpPanel"))  # noqa: E731
            await pilot.press("question_mark")
            await wait_until(pilot, helping)
            # The panel lists the screen's keys (drawn once it is mounted and laid out).
            await wait_until(pilot, lambda: "Next for you" in screen_text(app), timeout_s=30)
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: not helping())
            await pilot.press("question_mark")
            await wait_until(pilot, helping)
            await pilot.press("escape")
            await wait_until(pilot, lambda: not helping())
            # In the inbox esc goes back; with the help shown it only closes the help.
            await pilot.press("e")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "EscalationsScreen")
            await pilot.press("question_mark")
            await wait_until(pilot, helping)
            await pilot.press("escape")
            await wait_until(pilot, lambda: not helping())
            assert type(app.screen).__name__ == "EscalationsScreen"
            await pilot.press("escape")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen")

    asyncio.run(scenario())


def test_the_chosen_theme_is_remembered_for_the_next_start(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    state = isolated_home / "dashboard.json"

    async def choose(theme: str) -> str:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            started = app.theme
            app.theme = theme  # what the palette's theme picker does
            await wait_until(pilot, lambda: state.is_file() and theme in state.read_text())
        return started

    assert asyncio.run(choose("convergio-light")) == "convergio-dark"
    assert json.loads(state.read_text()) == {"theme": "convergio-light"}
    assert state.stat().st_mode & 0o077 == 0  # the user's own file
    assert asyncio.run(choose("convergio-contrast")) == "convergio-light"
    # --theme wins for that start (and is not written down unless chosen in the app).
    app = create_app(isolated_home / "convergio.db", shipped_config, sample.plan_id,
                     theme="convergio-dark")  # fmt: skip
    assert app.theme == "convergio-dark"
    assert json.loads(state.read_text()) == {"theme": "convergio-contrast"}


def test_a_broken_theme_memory_falls_back_to_the_default_and_says_so(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    state = isolated_home / "dashboard.json"
    state.write_text("{not json")

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        # Said at start-up: its toast may have expired before the main screen is up.
        notes = record_notifications(app)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            assert app.theme == "convergio-dark"
            skipped = [n.message for n in notes if n.title == "Theme file skipped"]
            assert any(f"{state}: cannot read" in message for message in skipped)
            app.theme = "convergio-light"  # the next choice replaces the broken file
            await wait_until(pilot, lambda: "convergio-light" in state.read_text())

    asyncio.run(scenario())
    assert json.loads(state.read_text()) == {"theme": "convergio-light"}


async def palette_screenshot(pilot: object, app: ConvergioApp) -> None:
    await pilot.press("ctrl+p")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette")  # type: ignore[arg-type]
    await pilot.press(*"Screenshot")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: "Save an SVG of the screen in" in screen_text(app))  # type: ignore[arg-type]
    await pilot.press("enter")  # type: ignore[attr-defined]


def test_the_palettes_screenshot_goes_to_a_folder_it_makes_and_says_where(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    folder = isolated_home / "screenshots"
    assert not folder.exists()

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await palette_screenshot(pilot, app)
            await wait_until(pilot, lambda: "Saved to" in said(app, "Screenshot"))
            saved = Path(said(app, "Screenshot").removeprefix("Saved to "))
            assert saved.parent == folder and saved.suffix == ".svg"
            assert "add-login" in saved.read_text()  # the main screen, the palette gone
            assert "Search for commands" not in saved.read_text()

    asyncio.run(scenario())
    assert folder.stat().st_mode & 0o077 == 0


def test_a_screenshot_that_cannot_be_saved_says_why(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    (isolated_home / "screenshots").write_text("a file where the folder would go")

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await palette_screenshot(pilot, app)
            await wait_until(pilot, lambda: bool(said(app, "Screenshot not saved")))
            assert str(isolated_home / "screenshots") in said(app, "Screenshot not saved")

    asyncio.run(scenario())


def test_a_confirm_dialog_wraps_its_question_and_keeps_the_task(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    target = sample.task_ids["T2-01"]

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            table.move_cursor(row=table.get_row_index(str(target)))
            await pilot.press("c")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmModal")
            # The sentence ends on screen, wrapped (once the dialog is laid out).
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                "process is killed.", "Cancel T2-01")), timeout_s=30)  # fmt: skip
            await pilot.press("n")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen")

    asyncio.run(scenario())
    assert Task.get_by_id(target).status == "running"


LONG = ("tests/test_session.py::test_expiry failed: expected 401 after the token expired, "
        "got 200 because the clock used by the session store is not the one the test froze\n"
        "    Traceback (most recent call last): File tests/test_session.py, line 41, in "
        "test_expiry assert response.status_code == 401")  # fmt: skip


def test_gate_evidence_wraps_under_itself_not_at_column_0() -> None:
    gates = [GateLine(1, 8, "tdd", "fail", LONG), GateLine(1, 9, "constitution", "pass", "ok")]
    lines = round_content(1, gates, width=70).plain.splitlines()
    evidence = lines[1:-1]  # after the round's heading, before the next gate
    assert len(evidence) >= 4 and all(len(line) <= 70 for line in lines)
    assert evidence[0].startswith("  ✘ fail  8 tdd ")
    assert all(line.startswith(" " * INDENT) and line.strip() for line in evidence[1:])
    traceback = [line for line in evidence if "Traceback" in line or "line 41" in line]
    assert traceback and all(line.startswith(" " * (INDENT + 4)) for line in traceback)


def test_a_narrow_panel_puts_the_evidence_under_its_gate() -> None:
    gates = [GateLine(1, 8, "tdd", "fail", LONG)]
    lines = round_content(1, gates, width=40).plain.splitlines()
    assert lines[1] == "  ✘ fail  8 tdd"
    assert all(len(line) <= 40 and line.startswith(" " * UNDER) for line in lines[2:])
    assert "".join(line.strip() for line in lines[2:]).startswith("tests/test_session.py::")


def test_the_task_detail_shows_long_evidence_indented(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task = sample.task_ids["T2-03"]
    GateResult.update(evidence=LONG).where(GateResult.task == task, GateResult.gate == 8).execute()

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            table.move_cursor(row=table.get_row_index(str(task)))
            await pilot.press("enter")
            # The evidence and its continuation lines, drawn (one frame after the read).
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                "      tests/test_session.py::", "failed: expected 401", "expired, got 200")),
                timeout_s=30)  # fmt: skip
            lines = screen_text(app).splitlines()
            first = next(ln for ln in lines if "tests/test_session.py::" in ln)
            column = first.index("tests/test_session.py::")
            # At 100 columns the panel is narrow: the evidence goes under its gate, and each
            # continuation sits under the evidence's first line, not at the panel's edge.
            # (This looked for the words "froze" and "clock used", which this layout cuts or
            # splits: the loop checked no line at all.)
            panel = [ln for ln in lines if "failed: expected 401" in ln or "expired, got 200" in ln]
            assert len(panel) == 2
            for line in [first, *panel]:
                inside = line[line.index("│") + 1 :]
                assert inside.startswith(" " * (UNDER + 1)), line  # the padding, then UNDER
                assert line[column] != " " and not line[line.index("│") + 1 : column].strip(), line

    asyncio.run(scenario())


def test_the_inbox_waiting_time_moves_with_the_clock(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    moment = [sample_data.SAMPLE_NOW]

    async def scenario() -> None:
        app = create_app(isolated_home / "convergio.db", sample_data.sample_config(shipped_config),
                         sample.plan_id, poll_interval_s=0.1, clock=lambda: moment[0])  # fmt: skip
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("e")
            await wait_until(pilot, lambda: bool(getattr(app.screen, "lines", ())))
            await wait_until(pilot, lambda: "7m00s" in screen_text(app), timeout_s=30)
            moment[0] += 125  # two minutes and five seconds later
            await wait_until(pilot, lambda: "9m05s" in screen_text(app))

    asyncio.run(scenario())


def test_the_header_says_who_runs_the_plan_in_words() -> None:
    assert engine_words("running", None)[0] == "running in this dashboard"
    assert engine_words("finished (done)", None) == ("finished in this dashboard", "finished here")
    assert engine_words("finished (doing)", None)[0] == (
        "idle in this dashboard: waiting for a decision"
    )
    assert engine_words("failed: plan 1 is busy", None)[0] == "could not run here: plan 1 is busy"
    assert engine_words(None, 4242)[0] == "convergio run, process 4242"
    assert engine_words(None, None)[0] == "not running (g runs it here, or: convergio run PLAN)"
    for state in ("running", "stopped", "finished (done)", "finished (doing)", "failed: x"):
        for words in engine_words(state, None):
            assert "((" not in words and "))" not in words and "(finished" not in words


def test_the_header_and_an_eight_character_code_read_whole(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task = sample.task_ids["T2-03"]
    Task.update(code="AUTH-103").where(Task.id == task).execute()

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            await wait_until(pilot, lambda: table.get_cell(str(task), "code").plain == "AUTH-103")
            await wait_until(pilot, lambda: "│ AUTH-103 " in screen_text(app))
            text = screen_text(app)
            assert "engine not running (g runs it here, or: convergio run PLAN)" in text

    asyncio.run(scenario())
    assert Task.get_by_id(task).code == "AUTH-103"


def test_no_timer_of_the_main_screen_outlives_it(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            main = app.screen
            timers = list(main.timers)  # type: ignore[attr-defined]
            assert timers and all(t._task is not None for t in timers)
            await press_to_quit(pilot, "q")  # no engine here: quits at once
        assert all(t._task is None for t in timers)

    asyncio.run(scenario())
