"""A database that cannot be shown gets a clear message, and a flood of output never freezes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from textual.pilot import Pilot
from tui_fixtures import press_to_quit, record_notifications

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.migrations import SCHEMA_VERSION
from convergio_tui.store.models import Run
from convergio_tui.tui.app import create_app
from convergio_tui.tui.screens.problem import ProblemScreen
from convergio_tui.tui.screens.task_detail import TaskDetailScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.output_pane import OutputPane
from convergio_tui.tui.widgets.task_table import TaskTable

SIZE = (160, 45)


def rename_table(db: Path, old: str, new: str) -> None:
    """Rename a table behind the dashboard's back, as another version rewriting the schema."""
    con = sqlite3.connect(db)
    con.execute(f"ALTER TABLE {old} RENAME TO {new}")
    con.commit()
    con.close()


async def problem_text(pilot: Pilot[None]) -> str:
    """Wait for the problem screen and return what it shows."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ProblemScreen))
    await wait_until(pilot, lambda: "database:" in screen_text(pilot.app))
    return " ".join(screen_text(pilot.app).split())


def test_missing_database_is_explained_and_not_created(
    tmp_path: Path, shipped_config: Config
) -> None:
    db = tmp_path / "nowhere" / "convergio.db"

    async def scenario() -> None:
        app = create_app(db, shipped_config)
        async with app.run_test(size=SIZE) as pilot:
            text = await problem_text(pilot)
            assert "No database here yet" in text and "convergio init" in text
            assert "No Convergio database at" in text and pilot.app.screen.probe.path == str(db)
            await press_to_quit(pilot, "q")
        assert app.return_code in (0, None)

    asyncio.run(scenario())
    assert not db.exists()


def test_locked_database_is_explained_then_opens_when_released(
    tmp_path: Path, shipped_config: Config
) -> None:
    db = tmp_path / "convergio.db"
    open_database(db)
    close_database()
    holder = sqlite3.connect(db)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")

    async def scenario() -> None:
        app = create_app(db, shipped_config)
        async with app.run_test(size=SIZE) as pilot:
            text = await problem_text(pilot)
            assert "The database is locked" in text
            holder.rollback()
            holder.close()
            await pilot.press("r")
            await wait_for_main(pilot, timeout_s=30)
            await wait_until(pilot, lambda: "No plan yet" in screen_text(pilot.app), timeout_s=30)

    try:
        asyncio.run(scenario())
    finally:
        holder.close()
        close_database()


def test_older_schema_is_explained_and_upgraded_on_request(
    tmp_path: Path, shipped_config: Config
) -> None:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    # Convergio's mark without any step applied (tables without it would be another
    # application's database, which is refused: tests/test_storage_faults.py).
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL)")
    con.commit()
    con.close()

    async def scenario() -> None:
        app = create_app(db, shipped_config)
        async with app.run_test(size=SIZE) as pilot:
            text = await problem_text(pilot)
            assert "needs an upgrade" in text and f"version {SCHEMA_VERSION}" in text
            await pilot.press("m")
            await wait_for_main(pilot, timeout_s=30)

    try:
        asyncio.run(scenario())
    finally:
        close_database()
    version = sqlite3.connect(db).execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    assert version == SCHEMA_VERSION


def test_newer_schema_is_explained(tmp_path: Path, shipped_config: Config) -> None:
    db = tmp_path / "new.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL)")
    con.execute("INSERT INTO schema_version VALUES (?, 0)", (SCHEMA_VERSION + 1,))
    con.commit()
    con.close()

    async def scenario() -> None:
        app = create_app(db, shipped_config)
        async with app.run_test(size=SIZE) as pilot:
            text = await problem_text(pilot)
            assert "newer than this Convergio" in text and "Upgrade Convergio" in text
            assert pilot.app.screen.check_action("migrate", ()) is False  # not offered

    asyncio.run(scenario())


def test_100_mb_of_output_from_one_task_never_freezes_the_ui(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    """A person's keys are served while 100 MB pour into a pane, and the pane stays
    bounded. Asserted by what happens, never by how long it took: a frozen UI never moves
    the cursor, whatever the machine's load."""
    run_id = sample.running_runs["T2-01"]
    log = Path(Run.get_by_id(run_id).log_path)
    chunk = "".join(f"[out] flood {i:08d} {'z' * 88}\n" for i in range(10_000)).encode()  # ~1 MB
    halfway, go_on = threading.Event(), threading.Event()

    def flood() -> None:
        with log.open("ab") as handle:
            for i in range(100):
                handle.write(chunk)
                handle.flush()
                if i == 49:
                    halfway.set()
                    go_on.wait(120)  # the rest once the key below was served mid-flood
            handle.write(b"[out] FLOOD DONE\n")

    async def scenario() -> None:
        app = create_app(isolated_home / "convergio.db", sample_data.sample_config(shipped_config),
                         sample.plan_id, poll_interval_s=0.1)  # fmt: skip
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            table = app.screen.query_one(TaskTable)
            writer = threading.Thread(target=flood)
            writer.start()
            try:
                pane = next(p for p in app.screen.query(OutputPane) if p.run.run_id == run_id)
                # The pane composes its log after it is mounted.
                await wait_until(pilot, lambda: bool(pane.query("Log")))
                await wait_until(pilot, halfway.is_set)
                await wait_until(pilot, lambda: len(pane.query_one("Log").lines) > 0)
                table.focus()
                before = table.cursor_row
                await pilot.press("down")  # 50 MB in, 50 MB to come: the key is served
                await wait_until(pilot, lambda: table.cursor_row == before + 1)
            finally:
                go_on.set()
            await wait_until(pilot, lambda: "FLOOD DONE" in pane.query_one("Log").lines, 90)
            writer.join()
            log_lines = pane.query_one("Log").lines
            assert len(log_lines) <= 1000  # the pane is bounded
            assert any("not shown here" in line for line in log_lines)

    asyncio.run(scenario())


def test_a_database_failing_while_shown_is_reported_and_recovered(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    db = isolated_home / "convergio.db"

    async def scenario() -> None:
        app = create_app(
            db, sample_data.sample_config(shipped_config), sample.plan_id, poll_interval_s=0.1
        )
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            rename_table(db, "wave", "wave_moved")  # as if another version rewrote the schema
            await wait_until(pilot, lambda: "database unavailable, retrying" in screen_text(app))
            rename_table(db, "wave_moved", "wave")
            await wait_until(pilot, lambda: "#1 add-login" in screen_text(app), timeout_s=30)

    asyncio.run(scenario())


def test_a_task_detail_whose_read_fails_says_so_and_reads_again(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    db = isolated_home / "convergio.db"

    async def scenario() -> None:
        app = create_app(
            db, sample_data.sample_config(shipped_config), sample.plan_id, poll_interval_s=0.1
        )
        notes = record_notifications(app)  # a toast expires; what was said stays here
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            task_id = sample.task_ids["T2-03"]
            rename_table(db, "gate_result", "gate_result_moved")  # the detail's read fails
            app.push_screen(TaskDetailScreen(app.screen.ctx, task_id))
            await wait_until(pilot, lambda: "could not read it" in screen_text(app))
            # The notification is a message to the app: it may land after the text.
            await wait_until(
                pilot, lambda: any("failed" in (n.title or "") for n in notes), timeout_s=30
            )
            rename_table(db, "gate_result_moved", "gate_result")  # and it reads again by itself
            await wait_until(pilot, lambda: "T2-03" in screen_text(app), timeout_s=30)
            await wait_until(pilot, lambda: "could not read it" not in screen_text(app))

    asyncio.run(scenario())
