"""Can the dashboard show this database? Checked without creating, migrating or locking it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from convergio_tui.store.faults import foreign_reason
from convergio_tui.store.migrations import SCHEMA_VERSION
from convergio_tui.store.models import db


@dataclass(frozen=True)
class DbProbe:
    """Whether the database at ``path`` can be shown, and if not, why (for a person)."""

    state: str  # ok | missing | locked | too_old | too_new | unreadable
    path: str
    message: str
    found_version: int | None = None

    @property
    def ok(self) -> bool:
        """True when the dashboard can open the database as it is."""
        return self.state == "ok"


def probe_database(path: Path | str, timeout_s: float = 2.0) -> DbProbe:
    """Check the database without creating, migrating or locking it."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        return DbProbe("missing", where, f"No Convergio database at {where}.")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout_s)
        try:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            foreign = foreign_reason(
                int(con.execute("PRAGMA application_id").fetchone()[0]), tables
            )
            version = 0
            if "schema_version" in tables:
                version = int(
                    con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
                )
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return DbProbe("locked", where, f"The database {where} is locked by another process.")
        return DbProbe("unreadable", where, f"The database {where} cannot be read: {text}.")
    except sqlite3.DatabaseError as exc:
        return DbProbe("unreadable", where, f"{where} is not a readable SQLite database: {exc}.")
    if foreign is not None:  # never offered an upgrade: that would add our tables to it
        return DbProbe(
            "unreadable", where, f"{where} is another application's database: {foreign}."
        )
    if version > SCHEMA_VERSION:
        return DbProbe(
            "too_new",
            where,
            f"The database schema (version {version}) is newer than this Convergio supports "
            f"({SCHEMA_VERSION}).",
            version,
        )
    if version < SCHEMA_VERSION:
        what = "has no Convergio schema" if not tables else f"has schema version {version}"
        return DbProbe(
            "too_old",
            where,
            f"The database {what}; this Convergio needs version {SCHEMA_VERSION}.",
            version,
        )
    return DbProbe("ok", where, "", version)


def data_version() -> int:
    """SQLite's ``PRAGMA data_version`` on this thread's connection.

    It changes when another connection commits, so an unchanged value means nothing new.
    """
    return int(db.execute_sql("PRAGMA data_version").fetchone()[0])
