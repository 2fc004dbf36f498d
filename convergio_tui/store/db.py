"""Open the SQLite database: WAL, busy timeout, foreign keys, migrations.

Storage faults (see docs/storage.md) surface as :class:`~convergio_tui.store.faults.
StorageFault`: another application's file is refused before anything is written to it,
a damaged or locked one says so in one line.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee as pw

from convergio_tui import paths
from convergio_tui.store.faults import (
    StorageFault,
    foreign_reason,
    masked_by_rollback,
    storage_fault,
)
from convergio_tui.store.migrations import SchemaTooNew, migrate
from convergio_tui.store.models import db
from convergio_tui.store.read_only import BUSY_TIMEOUT_S as BUSY_TIMEOUT_S

PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": BUSY_TIMEOUT_S * 1000,  # ms
    "foreign_keys": 1,
    "synchronous": "normal",
}


def open_database(path: Path | str, *, migrate_schema: bool = True) -> pw.SqliteDatabase:
    """Open (creating parent directories) the database at ``path`` and bind the models.

    Each thread gets its own connection (peewee's default); the proxy is process-wide.
    """
    path = Path(path)
    paths.private_dir(path.parent)
    # Created 0600 before SQLite opens it: SQLite gives -wal and -shm the database's mode.
    with contextlib.suppress(OSError):  # a directory, no permission...: SQLite says why
        paths.create_private_file(path)
    close_database()
    database = pw.SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=BUSY_TIMEOUT_S)
    db.initialize(database)
    try:
        # Before the pragmas: switching a file to WAL would already rewrite its header.
        refuse_foreign(path)
        database.connect(reuse_if_open=True)
        if migrate_schema:
            migrate(database)
    except SchemaTooNew:
        database.close()
        raise
    except (pw.DatabaseError, sqlite3.Error, StorageFault) as exc:
        database.close()
        fault = storage_fault(exc, path)
        if fault is not None:
            raise fault from exc
        hint = "is it a Convergio database? use --db to pick another file"
        raise DatabaseUnavailable(f"cannot open database {path}: {exc} ({hint})") from exc
    # Only once SQLite accepted the file: a database made by an older Convergio (or its
    # -wal/-shm) may be world-readable, but a file that is not a database is left alone.
    for suffix in ("", "-wal", "-shm"):
        paths.tighten(f"{path}{suffix}")
    return database


def refuse_foreign(path: Path) -> None:
    """Raise a ``foreign`` :class:`StorageFault` when ``path`` is another application's
    SQLite file: another ``application_id``, or tables without Convergio's
    ``schema_version`` (a database made before the id was set has that table).

    Reads only, through a plain connection without Convergio's pragmas: a foreign file
    keeps every byte.
    """
    con = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S)
    try:
        app_id = int(con.execute("PRAGMA application_id").fetchone()[0])
        tables = {
            row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    finally:
        con.close()
    reason = foreign_reason(app_id, tables)
    if reason is not None:
        raise StorageFault("foreign", path, reason)


def database_file() -> Path | None:
    """The absolute path of the open database file (None when none is open)."""
    if db.obj is None:
        return None
    return Path(os.path.abspath(str(db.obj.database)))


class DatabaseUnavailable(Exception):
    """The database file cannot be opened or migrated; the message says why and what to do."""


def sqlite_connection() -> sqlite3.Connection:
    """This thread's ``sqlite3`` connection to the open database (inside any transaction it
    holds), for the reads written in plain SQL (store/ledger_sql.py)."""
    connection: sqlite3.Connection = db.connection()
    return connection


def close_database() -> None:
    """Close this thread's connection, if any."""
    if db.obj is not None and not db.is_closed():
        db.close()


# This process's writers queue here before ``BEGIN IMMEDIATE``. SQLite's own busy
# handler makes a writer that finds the lock taken sleep 1, 2, 5, 10... ms before it
# looks again; threads of one engine (eight runs ending together) would mostly wait out
# those sleeps. A lock hands the turn over the moment the writer before commits. Other
# processes still meet at SQLite's lock, as before.
_writers = threading.Lock()


@contextmanager
def immediate() -> Iterator[None]:
    """A short write transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

    Use it where a read decides a write (budget reservations, state transitions), so two
    processes cannot both decide on the same stale read. On a full disk SQLite rolls the
    transaction back by itself; the error raised is then the disk being full, not the
    "cannot rollback" of the ROLLBACK that follows.
    """
    # Only the outermost transaction of a thread queues: a nested one is a savepoint of
    # a transaction that already holds SQLite's lock (waiting here could deadlock).
    # Waiting is bounded like SQLite's own wait: past the busy timeout the writer goes on
    # to SQLite's lock, so a wait-for cycle through another thread ends as it did before
    # the queue (``database is locked``), never as a hang.
    queued = not db.in_transaction() and _writers.acquire(timeout=BUSY_TIMEOUT_S)
    try:
        try:
            with db.atomic("IMMEDIATE"):
                yield
        except pw.OperationalError as exc:
            original = masked_by_rollback(exc)
            if original is None:
                raise
            raise original from None
    finally:
        if queued:
            _writers.release()
