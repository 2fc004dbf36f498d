"""Migration step: a run may belong to a wave instead of a task (Thor's cross-review is
dispatched, reserved and charged like any run, and recorded as a run of its wave)."""

from __future__ import annotations

import peewee as pw

from convergio_tui.store.schema_edit import add_reference, loosen_not_null


def allow_wave_runs(database: pw.SqliteDatabase) -> None:
    """Make ``run.task_id`` nullable and add ``run.wave_id`` (store/schema_edit.py: in
    place, so the ledger's ``ON DELETE SET NULL`` never fires)."""
    loosen_not_null(database, "run", "task_id")
    add_reference(database, "run", "wave_id", "wave")
