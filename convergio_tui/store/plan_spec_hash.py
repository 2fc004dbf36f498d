"""Migration step: the spec file's SHA-256 on each plan, so importing the same file
twice is recognised (``convergio plan import`` asks, or takes ``--force``)."""

from __future__ import annotations

import peewee as pw


def add_plan_spec_sha256(database: pw.SqliteDatabase) -> None:
    """Add ``spec_sha256`` (TEXT, NULL for plans imported before) to ``plan``."""
    existing = {c.name for c in database.get_columns("plan")}
    if "spec_sha256" not in existing:
        database.execute_sql('ALTER TABLE "plan" ADD COLUMN "spec_sha256" VARCHAR(255) NULL')
