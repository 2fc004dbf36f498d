"""Migration step: AI credits on runs and ledger rows (Copilot is billed in AI credits
since June 2026; a run's credits are shown per task beside its USD)."""

from __future__ import annotations

import peewee as pw


def add_ai_credits(database: pw.SqliteDatabase) -> None:
    """Add ``ai_credits`` (REAL, default 0) to ``run`` and ``ledger``."""
    for table in ("run", "ledger"):
        existing = {c.name for c in database.get_columns(table)}
        if "ai_credits" not in existing:
            database.execute_sql(
                f'ALTER TABLE "{table}" ADD COLUMN "ai_credits" REAL NOT NULL DEFAULT 0'
            )
