"""Numbered schema migrations, recorded in ``schema_version``.

Each migration runs once, in order, inside its own transaction. To change the schema
append a function to :data:`MIGRATIONS`; never edit one that has shipped. Columns added
to a model later must be added here too (``add_column``), so old databases catch up.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee as pw

from convergio_tui.store import models as m
from convergio_tui.store.ai_credits import add_ai_credits
from convergio_tui.store.plan_spec_hash import add_plan_spec_sha256
from convergio_tui.store.plan_uids import plan_uids_and_identity
from convergio_tui.store.provider_columns import name_provider_columns
from convergio_tui.store.read_only import APPLICATION_ID as APPLICATION_ID
from convergio_tui.store.read_only import SCHEMA_VERSION as SCHEMA_VERSION
from convergio_tui.store.run_node import add_run_node
from convergio_tui.store.task_indexes import add_plan_read_indexes, add_task_indexes
from convergio_tui.store.wave_escalations import allow_wave_escalations
from convergio_tui.store.wave_runs import allow_wave_runs

Migration = Callable[[pw.SqliteDatabase], None]

# Only Thor (all gates of the round recorded, none failed) or a person approving an
# escalation may set `done`; enforced here so no code path can skip validation.
_DONE_GUARD = """
CREATE TRIGGER IF NOT EXISTS task_done_guard BEFORE UPDATE OF status ON task
WHEN NEW.status = 'done' AND OLD.status IS NOT 'done' AND NOT (
    (NEW.validated_by = 'thor'
     AND EXISTS (SELECT 1 FROM gate_result g WHERE g.task_id = NEW.id
                 AND g.round = NEW.round AND g.verdict = 'pass')
     AND NOT EXISTS (SELECT 1 FROM gate_result g WHERE g.task_id = NEW.id
                     AND g.round = NEW.round AND g.verdict = 'fail'))
    OR (NEW.validated_by LIKE 'human:_%'
        AND EXISTS (SELECT 1 FROM escalation e WHERE e.task_id = NEW.id
                    AND e.status = 'approved'))
)
BEGIN
    SELECT RAISE(ABORT, 'task may become done only through Thor or an approved escalation');
END
"""

_DONE_INSERT_GUARD = """
CREATE TRIGGER IF NOT EXISTS task_done_insert_guard BEFORE INSERT ON task
WHEN NEW.status = 'done'
BEGIN
    SELECT RAISE(ABORT, 'task may become done only through Thor or an approved escalation');
END
"""

_NOW_SQL = "((julianday('now') - 2440587.5) * 86400.0)"


def _touch_trigger(table: str) -> str:
    # Keeps `updated_at` a reliable watermark for the dashboard whoever writes the row.
    return f"""
CREATE TRIGGER IF NOT EXISTS {table}_touch AFTER UPDATE ON {table}
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE {table} SET updated_at = {_NOW_SQL} WHERE id = NEW.id;
END
"""


def _m001_initial(database: pw.SqliteDatabase) -> None:
    database.create_tables(m.ALL_MODELS)
    for sql in (_DONE_GUARD, _DONE_INSERT_GUARD, *map(_touch_trigger, ("task", "wave", "plan"))):
        database.execute_sql(sql)


# v2: the v1 guard's condition is NULL, not false, when validated_by is NULL and the gates
# pass (NULL = 'thor' is NULL, and NOT NULL is NULL), so the trigger did not fire and
# `SET status='done', validated_by=NULL` went through. Each test is now IS / COALESCE'd to
# a plain true or false, and anything but 'thor' or 'human:<user>' is refused.
_DONE_GUARD_V2 = """
CREATE TRIGGER task_done_guard BEFORE UPDATE OF status ON task
WHEN NEW.status = 'done' AND OLD.status IS NOT 'done' AND NOT COALESCE(
    (NEW.validated_by IS 'thor'
     AND EXISTS (SELECT 1 FROM gate_result g WHERE g.task_id = NEW.id
                 AND g.round = NEW.round AND g.verdict = 'pass')
     AND NOT EXISTS (SELECT 1 FROM gate_result g WHERE g.task_id = NEW.id
                     AND g.round = NEW.round AND g.verdict = 'fail'))
    OR (COALESCE(NEW.validated_by, '') LIKE 'human:_%'
        AND EXISTS (SELECT 1 FROM escalation e WHERE e.task_id = NEW.id
                    AND e.status = 'approved')),
    0)
BEGIN
    SELECT RAISE(ABORT, 'task may become done only through Thor or an approved escalation');
END
"""


def _m002_done_guard_refuses_null(database: pw.SqliteDatabase) -> None:
    database.execute_sql("DROP TRIGGER IF EXISTS task_done_guard")
    database.execute_sql(_DONE_GUARD_V2)


MIGRATIONS: list[Migration] = [
    _m001_initial, _m002_done_guard_refuses_null,
    plan_uids_and_identity,  # v3 (store/plan_uids.py)
    allow_wave_runs,  # v4 (store/wave_runs.py)
    add_ai_credits,  # v5 (store/ai_credits.py)
    name_provider_columns,  # v6 (store/provider_columns.py)
    allow_wave_escalations,  # v7 (store/wave_escalations.py)
    add_plan_spec_sha256,  # v8 (store/plan_spec_hash.py)
    add_run_node,  # v9 (store/run_node.py)
    add_task_indexes,  # v10 (store/task_indexes.py)
    add_plan_read_indexes,  # v11 (store/task_indexes.py)
]  # fmt: skip
if len(MIGRATIONS) != SCHEMA_VERSION:  # the quick commands read only this version
    raise RuntimeError(f"{len(MIGRATIONS)} migrations: set SCHEMA_VERSION in store/read_only.py")


def add_column(database: pw.SqliteDatabase, table: str, column: str, ddl: str) -> None:
    """Add ``column`` to ``table`` unless it exists (``ddl`` e.g. ``'REAL NULL'``)."""
    existing = {c.name for c in database.get_columns(table)}
    if column not in existing:
        database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {ddl}')


def current_version(database: pw.SqliteDatabase) -> int:
    """The schema version recorded in the database (0 for a new one); a plain read."""
    exists = database.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = database.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(database: pw.SqliteDatabase) -> int:
    """Apply pending migrations; return the resulting version.

    A current schema is recognised by a plain read and takes no write lock, so read-only
    commands open the database while another process writes. Only a pending migration
    takes the lock (``BEGIN IMMEDIATE``), one transaction per step.
    Raises :class:`SchemaTooNew` when the database was written by a newer Convergio.
    """
    version = current_version(database)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(version, SCHEMA_VERSION)
    if version == SCHEMA_VERSION:
        return SCHEMA_VERSION
    with database.atomic("IMMEDIATE"):
        database.execute_sql(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at REAL)"
        )
        database.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    for number in range(version + 1, SCHEMA_VERSION + 1):
        with database.atomic("IMMEDIATE"):
            # Re-check inside the lock: another process may have migrated meanwhile.
            if current_version(database) >= number:
                continue
            MIGRATIONS[number - 1](database)
            database.execute_sql(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (number, m.now()),
            )
    return SCHEMA_VERSION


class SchemaTooNew(Exception):
    """The database schema is newer than this version of Convergio understands."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            f"database schema version {found} is newer than this Convergio supports "
            f"({supported}); upgrade Convergio or use another --db"
        )
