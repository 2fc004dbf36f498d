"""Migration step: the node a run ran on (``execution.backend: ray``), so the dashboard
and ``convergio run`` name it; NULL for a run on this machine."""

from __future__ import annotations

import peewee as pw


def add_run_node(database: pw.SqliteDatabase) -> None:
    """Add ``node`` (TEXT, NULL for a local run) to ``run``."""
    existing = {c.name for c in database.get_columns("run")}
    if "node" not in existing:
        database.execute_sql('ALTER TABLE "run" ADD COLUMN "node" VARCHAR(255) NULL')
