"""A read-only ``sqlite3`` connection to a Convergio database at the current schema, for
the quick commands (cli/quick.py): no peewee, nothing created, migrated or written.

Anything else (no file yet, another application's file, an older or newer schema, a
file SQLite cannot open read-only) gives None, and the command takes its full path,
which creates, migrates or says what is wrong (docs/storage.md).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

# `PRAGMA application_id` of a Convergio database ("CNVG"): set with the first migration,
# so `--db` pointed at another application's file is recognised before anything is written.
APPLICATION_ID = 0x434E5647
# The schema this Convergio writes: store/migrations.py has exactly this many migrations
# (it refuses to import otherwise).
SCHEMA_VERSION = 11
BUSY_TIMEOUT_S = 10  # how long a write waits for another's lock; >= 5 s (docs/storage.md)


def open_read_only(path: str | os.PathLike[str]) -> sqlite3.Connection | None:
    """A read-only connection to the database at ``path``, or None when the full path
    must open it (see the module's docstring)."""
    file = os.fspath(path)
    if not os.path.isfile(file):
        return None
    try:
        con = sqlite3.connect(f"file:{quote(os.path.abspath(file))}?mode=ro", uri=True,
                              timeout=BUSY_TIMEOUT_S)  # fmt: skip
    except sqlite3.Error:
        return None
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        version = con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    except sqlite3.Error:
        con.close()
        return None
    if app_id != APPLICATION_ID or version != SCHEMA_VERSION:
        con.close()
        return None
    return con


@contextmanager
def snapshot(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Read through ``con`` inside one read transaction: every statement sees the same
    state, even while an engine commits (a charge and its reservation's release land
    together or not at all). Inside a transaction already, that one is used."""
    if con.in_transaction:
        yield con
        return
    con.execute("BEGIN")
    try:
        yield con
    finally:
        con.rollback()  # it only read
