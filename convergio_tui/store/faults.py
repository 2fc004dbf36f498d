"""Storage faults a person can act on: a locked, full, damaged or foreign database.

SQLite and the OS report these as exceptions deep inside whatever was writing; at the
command boundary :func:`storage_fault` turns one (found anywhere in the exception's
cause/context chain) into a :class:`StorageFault` whose message is one line naming the
file and what to do. Pure: no I/O.

Exit codes (docs/storage.md): 1 when nothing is wrong with the file and running the same
command again once the condition clears resumes (locked, disk full); 2 when the file
itself cannot be used as it is (damaged, not a database, another application's, not
writable).
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from convergio_tui.store.migrations import APPLICATION_ID

# SQLite's primary result codes (extended codes keep them in the low byte).
_SQLITE_KINDS = {
    5: "locked",  # SQLITE_BUSY: busy_timeout passed while another process held the lock
    6: "locked",  # SQLITE_LOCKED
    8: "readonly",  # SQLITE_READONLY
    10: "io",  # SQLITE_IOERR
    11: "corrupt",  # SQLITE_CORRUPT
    13: "full",  # SQLITE_FULL
    14: "cantopen",  # SQLITE_CANTOPEN
    26: "notadb",  # SQLITE_NOTADB
}
# The same, by message, for errors raised without a code (peewee re-wraps them).
_SQLITE_TEXTS = (
    ("database is locked", "locked"),
    ("database table is locked", "locked"),
    ("database or disk is full", "full"),
    ("database disk image is malformed", "corrupt"),
    ("file is not a database", "notadb"),
    ("attempt to write a readonly database", "readonly"),
    ("disk i/o error", "io"),
    ("unable to open database file", "cantopen"),
)
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}

RESUMABLE = frozenset({"locked", "full"})

_ADVICE = {
    "locked": "another process held the write lock too long; nothing half-written was kept: "
    "run the command again when it is done, a stopped `convergio run` resumes the plan",
    "full": "disk full: the last change was rolled back, nothing half-written was kept; free "
    "some space and run the command again, a stopped `convergio run` resumes the plan",
    "corrupt": "the file is damaged: restore it from a backup, or use --db NEW_FILE to start "
    "a new database; see docs/storage.md",
    "notadb": "it is not a SQLite database: check the path, or use --db NEW_FILE",
    "foreign": "another application's database: Convergio adds no tables to it and wrote "
    "nothing; use --db with a new file or a Convergio database",
    "readonly": "it cannot be written: check its permissions and those of its folder, or "
    "use --db with a writable file",
    "cantopen": "it cannot be opened: check the path and its permissions, or use --db "
    "with another file",
    "io": "the disk reported an I/O error: check the disk and free space, then run the "
    "command again",
}


class StorageFault(Exception):
    """A storage problem with a one-line explanation; ``exit_code`` per the module doc."""

    def __init__(
        self, kind: str, path: Path | str | None, detail: str = "", *, database: bool = True
    ) -> None:
        self.kind = kind
        self.path = str(path) if path is not None else None
        self.detail = detail
        self.database = database  # False: a log or artifact file Convergio was writing
        super().__init__(self.message())

    @property
    def exit_code(self) -> int:
        """1 when running again once the condition clears resumes, else 2."""
        return 1 if self.kind in RESUMABLE else 2

    def message(self) -> str:
        """``database FILE: what SQLite said (what to do)``, on one line."""
        noun = "database" if self.database else "writing"
        where = f"{noun} {self.path}" if self.path else noun
        said = f": {self.detail}" if self.detail else ""
        return " ".join(f"{where}{said} ({_ADVICE[self.kind]})".split())


_CORE_TABLES = frozenset({"schema_version", "project", "plan", "wave", "task", "run", "ledger"})


def foreign_reason(app_id: int, tables: set[str]) -> str | None:
    """Why a SQLite file with this ``application_id`` and these tables is another
    application's, or None when it is Convergio's (marked, or a database made before the
    mark, which has ``schema_version``) or empty."""
    names = {t for t in tables if not t.startswith("sqlite_")}
    # An unmarked file is ours only with Convergio's own tables (a database made before the
    # mark), not merely a table that happens to be called schema_version.
    unmarked_ours = not names or names <= {"schema_version"} or names >= _CORE_TABLES
    if app_id == APPLICATION_ID or (app_id == 0 and unmarked_ours):
        return None
    if app_id:
        return f"its application_id is {app_id:#x}"
    return f"it has tables ({', '.join(sorted(names)[:5])}) and no Convergio schema"


def _kind_of(exc: BaseException) -> str | None:
    if isinstance(exc, StorageFault):
        return exc.kind
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        return "full" if exc.errno in _FULL_ERRNOS else None
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _SQLITE_KINDS:
        return _SQLITE_KINDS[code & 0xFF]
    if not isinstance(exc, sqlite3.Error) and type(exc).__module__ != "peewee":
        return None
    text = str(exc).lower()
    return next((kind for needle, kind in _SQLITE_TEXTS if needle in text), None)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc``, then what it wraps (peewee's ``orig``), its cause and its context."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def storage_fault(exc: BaseException, path: Path | str | None) -> StorageFault | None:
    """The storage fault behind ``exc`` (``path`` is the database), or None if it is not one.

    The first fault in the chain wins: SQLite rolls a transaction back by itself on
    SQLITE_FULL, and the ROLLBACK that follows fails with "cannot rollback", which must not
    hide the disk being full.
    """
    for link in _chain(exc):
        kind = _kind_of(link)
        if kind is None:
            continue
        if isinstance(link, StorageFault):
            return link
        if isinstance(link, OSError) and not isinstance(link, sqlite3.Error):
            name = link.filename
            return StorageFault(kind, name or path, link.strerror or str(link), database=not name)
        return StorageFault(kind, path, str(link))
    return None


def masked_by_rollback(exc: BaseException) -> BaseException | None:
    """The error a failed ROLLBACK replaced, when ``exc`` is "cannot rollback"/"no such
    savepoint" raised while handling another error (SQLite had already rolled back)."""
    text = str(exc).lower()
    if "cannot rollback" not in text and "no such savepoint" not in text:
        return None
    for link in _chain(exc)[1:]:
        inner = str(link).lower()
        if "cannot rollback" not in inner and "no such savepoint" not in inner:
            return link
    return None
