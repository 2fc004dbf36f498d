"""Migration step: an escalation may be of a whole wave instead of a task.

A wave whose merged branch fails its build or tests when no task can be sent back (a
person approved them, or their retries are spent) goes to a person as one escalation of
the wave, with the evidence, instead of failing the plan (thor/escalations.py)."""

from __future__ import annotations

import peewee as pw

from convergio_tui.store.schema_edit import add_reference, loosen_not_null


def allow_wave_escalations(database: pw.SqliteDatabase) -> None:
    """Make ``escalation.task_id`` nullable and add ``escalation.wave_id``."""
    loosen_not_null(database, "escalation", "task_id")
    add_reference(database, "escalation", "wave_id", "wave")
