"""Migration step: the index the scheduler's ready queue reads through (engine/ready.py),
``task(plan_id, updated_at)``: the plan's task rows changed since the queue's last look,
found without reading the others, so a dispatch costs the same whatever the wave's size.
It replaces the dispatch query that sorted every queued task of the wave on each wake-up
(``USE TEMP B-TREE FOR ORDER BY``).

v11 adds ``task(wave_id, code)``: the plan's rows in plan order (its waves by ``seq``,
each wave's tasks by ``code``) walked through two indexes, so reading a page of a big
plan seeks to where the last page ended instead of sorting the whole plan again
(store/plan_sql.py)."""

from __future__ import annotations

import peewee as pw


def add_task_indexes(database: pw.SqliteDatabase) -> None:
    """Create ``task_plan_updated`` on ``task (plan_id, updated_at)`` (idempotent)."""
    database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "task_plan_updated" ON "task" ("plan_id", "updated_at")'
    )


def add_plan_order_index(database: pw.SqliteDatabase) -> None:
    """Create ``task_wave_code`` on ``task (wave_id, code)`` (idempotent)."""
    database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "task_wave_code" ON "task" ("wave_id", "code")'
    )
