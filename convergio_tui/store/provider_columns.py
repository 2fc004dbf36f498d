"""Migration step: a task's routed and requested provider are named ``provider`` and
``requested_provider`` (they were ``executor_agent`` and ``requested_agent``).

One concept, one name: claude, copilot, gemini and opencode are *providers* everywhere, in
code, schema, CLI and docs. The JSON outputs keep ``executor_agent`` beside ``provider``
so scripts written against earlier versions go on working.
"""

from __future__ import annotations

import peewee as pw

RENAMES = (("executor_agent", "provider"), ("requested_agent", "requested_provider"))


def name_provider_columns(database: pw.SqliteDatabase) -> None:
    """Rename the task's provider columns in place (``ALTER TABLE ... RENAME COLUMN``).

    In place rather than a table rebuild: dropping ``task`` would fire the foreign keys'
    ``ON DELETE`` actions on runs, gates and escalations. A database created by this
    version already has the new names (the first step creates tables from the models)."""
    existing = {c.name for c in database.get_columns("task")}
    for old, new in RENAMES:
        if old in existing and new not in existing:
            database.execute_sql(f'ALTER TABLE "task" RENAME COLUMN "{old}" TO "{new}"')
