"""Migration v6: a task's provider columns get their one name, values and all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from convergio_tui.store import migrations
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Task

SCHEMA_V2 = Path(__file__).with_name("schema_v2") / "convergio.sql"


def test_old_databases_keep_each_tasks_provider_under_its_new_name(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    raw = sqlite3.connect(db)
    raw.executescript(SCHEMA_V2.read_text())  # a real v2 database, columns under old names
    raw.execute(
        "UPDATE task SET executor_agent = 'gemini', requested_agent = 'claude' WHERE id = 1"
    )
    raw.commit()
    raw.close()
    open_database(db)
    try:
        task = Task.get_by_id(1)
        assert (task.provider, task.requested_provider) == ("gemini", "claude")
        assert Task.get_by_id(2).provider is None
    finally:
        close_database()
    columns = {row[1] for row in sqlite3.connect(db).execute("PRAGMA table_info(task)")}
    assert {"provider", "requested_provider"} <= columns
    assert not {"executor_agent", "requested_agent"} & columns


def test_a_new_database_is_created_with_the_new_names_and_migrates_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    open_database(db)
    try:
        assert migrations.current_version(Task._meta.database) == migrations.SCHEMA_VERSION
    finally:
        close_database()
    columns = {row[1] for row in sqlite3.connect(db).execute("PRAGMA table_info(task)")}
    assert "provider" in columns and "executor_agent" not in columns
