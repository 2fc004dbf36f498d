"""Migration step: a run may belong to a wave instead of a task (Thor's cross-review is
dispatched, reserved and charged like any run, and recorded as a run of its wave)."""

from __future__ import annotations

import peewee as pw

_STRICT = '"task_id" INTEGER NOT NULL'
_LOOSE = '"task_id" INTEGER'


def allow_wave_runs(database: pw.SqliteDatabase) -> None:
    """Make ``run.task_id`` nullable and add ``run.wave_id``.

    Dropping a NOT NULL constraint changes nothing on disk, so it is done the way SQLite's
    ALTER TABLE documentation describes for such changes: edit the stored CREATE
    statement and bump the schema cookie. Rebuilding the table instead would fire the
    ``ON DELETE SET NULL`` of ledger and gate_result rows that point at runs.
    """
    row = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'run'"
    ).fetchone()
    if row is not None and _STRICT in row[0]:
        cookie = int(database.execute_sql("PRAGMA schema_version").fetchone()[0])
        database.execute_sql("PRAGMA writable_schema = ON")
        try:
            database.execute_sql(
                "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
                "WHERE type = 'table' AND name = 'run'",
                (_STRICT, _LOOSE),
            )
            database.execute_sql(f"PRAGMA schema_version = {cookie + 1}")
        finally:
            database.execute_sql("PRAGMA writable_schema = OFF")
    existing = {c.name for c in database.get_columns("run")}
    if "wave_id" not in existing:
        database.execute_sql(
            'ALTER TABLE "run" ADD COLUMN "wave_id" INTEGER NULL '
            'REFERENCES "wave" ("id") ON DELETE CASCADE'
        )
