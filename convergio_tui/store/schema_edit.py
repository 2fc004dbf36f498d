"""Drop a NOT NULL constraint in place, the way SQLite's ALTER TABLE documentation
describes for changes that leave the stored rows as they are.

The stored CREATE statement is edited and the schema cookie bumped. Rebuilding the table
instead would fire the ``ON DELETE`` actions of every row that points at it (a run's
ledger rows, a task's gate results), which a migration must never do.
"""

from __future__ import annotations

import peewee as pw


def loosen_not_null(database: pw.SqliteDatabase, table: str, column: str) -> None:
    """Make ``table.column`` (an INTEGER column created ``NOT NULL``) nullable; a no-op
    when it already is (a database created by a later version)."""
    strict, loose = f'"{column}" INTEGER NOT NULL', f'"{column}" INTEGER'
    row = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if row is None or strict not in row[0]:
        return
    cookie = int(database.execute_sql("PRAGMA schema_version").fetchone()[0])
    database.execute_sql("PRAGMA writable_schema = ON")
    try:
        database.execute_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?",
            (strict, loose, table),
        )
        database.execute_sql(f"PRAGMA schema_version = {cookie + 1}")
    finally:
        database.execute_sql("PRAGMA writable_schema = OFF")


def add_reference(database: pw.SqliteDatabase, table: str, column: str, target: str) -> None:
    """Add a nullable ``column`` referencing ``target(id)`` (ON DELETE CASCADE) unless
    ``table`` has it."""
    existing = {c.name for c in database.get_columns(table)}
    if column not in existing:
        database.execute_sql(
            f'ALTER TABLE "{table}" ADD COLUMN "{column}" INTEGER NULL '
            f'REFERENCES "{target}" ("id") ON DELETE CASCADE'
        )
