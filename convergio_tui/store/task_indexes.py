"""Migration step: the index the scheduler's ready queue reads through (engine/ready.py),
``task(plan_id, updated_at)``: the plan's task rows changed since the queue's last look,
found without reading the others, so a dispatch costs the same whatever the wave's size.
It replaces the dispatch query that sorted every queued task of the wave on each wake-up
(``USE TEMP B-TREE FOR ORDER BY``).

v11 adds the two the dashboard reads a big plan through: ``task(wave_id, code)``, the
plan's rows in plan order (its waves by ``seq``, each wave's tasks by ``code``) walked
through two indexes, so reading a page seeks to where the last page ended instead of
sorting the whole plan again (store/plan_sql.py); and ``task(plan_id, wave_id, status)``,
which holds everything the waves' task counts read (store/queries/plans.py), so counting
50,000 tasks at every read reads the index alone, in order."""

from __future__ import annotations

import peewee as pw


def add_task_indexes(database: pw.SqliteDatabase) -> None:
    """Create ``task_plan_updated`` on ``task (plan_id, updated_at)`` (idempotent)."""
    database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "task_plan_updated" ON "task" ("plan_id", "updated_at")'
    )


def add_plan_read_indexes(database: pw.SqliteDatabase) -> None:
    """Create ``task_wave_code`` on ``task (wave_id, code)`` and ``task_plan_wave_status``
    on ``task (plan_id, wave_id, status)`` (idempotent)."""
    database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "task_wave_code" ON "task" ("wave_id", "code")'
    )
    database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "task_plan_wave_status"'
        ' ON "task" ("plan_id", "wave_id", "status")'
    )
