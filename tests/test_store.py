"""The store: WAL, migrations recorded, and the done guard that no code path can skip."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import peewee as pw
import pytest

from convergio_tui.store import migrations
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Escalation, GateResult, Plan, Project, Task, Wave


def make_task() -> Task:
    project = Project.create(name="p", path="/tmp/p")
    plan = Plan.create(project=project, name="plan")
    wave = Wave.create(plan=plan, seq=1, name="w")
    return Task.create(plan=plan, wave=wave, code="T1", title="t", prompt="p", type="coding")


def test_database_is_wal_with_foreign_keys_and_versioned(db_file: Path) -> None:
    raw = sqlite3.connect(db_file)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = [r[0] for r in raw.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, migrations.SCHEMA_VERSION + 1))
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"project", "plan", "wave", "task", "run", "ledger", "gate_result", "escalation",
            "provider_health", "model", "event", "schema_version"} <= tables  # fmt: skip
    raw.close()
    with pytest.raises(pw.IntegrityError):
        Task.create(plan=9999, wave=9999, code="X", title="t", prompt="p", type="coding")


def test_reopening_does_not_migrate_twice(db_file: Path) -> None:
    close_database()
    open_database(db_file)
    raw = sqlite3.connect(db_file)
    assert (
        raw.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0]
        == migrations.SCHEMA_VERSION
    )


def test_newer_schema_is_refused_clearly(db_file: Path) -> None:
    raw = sqlite3.connect(db_file)
    raw.execute("INSERT INTO schema_version VALUES (999, 0)")
    raw.commit()
    raw.close()
    close_database()
    with pytest.raises(migrations.SchemaTooNew, match="newer than this Convergio supports"):
        open_database(db_file)


def test_done_is_refused_through_raw_sql(db_file: Path) -> None:
    task = make_task()
    raw = sqlite3.connect(db_file)
    for validated_by in (None, "engine", "thor", "human:alice"):
        with pytest.raises(sqlite3.IntegrityError, match="only through Thor"):
            raw.execute(
                "UPDATE task SET status='done', validated_by=? WHERE id=?", (validated_by, task.id)
            )
    with pytest.raises(sqlite3.IntegrityError, match="only through Thor"):
        raw.execute(
            "INSERT INTO task (plan_id, wave_id, code, title, prompt, type, status, validated_by,"
            " route_reasons, estimate_usd, files, verify, depends_on, round, priority, privacy,"
            " created_at, updated_at) VALUES (?, ?, 'T2', 't', 'p', 'coding', 'done', 'thor',"
            " '[]', 0, '[]', '[]', '[]', 1, 'P1', 'internal', 0, 0)",
            (task.plan_id, task.wave_id),
        )
    raw.close()
    assert Task.get_by_id(task.id).status == "pending"


def test_done_through_the_api_needs_thor_gates_or_an_approval(db_file: Path) -> None:
    task = make_task()
    with pytest.raises(pw.IntegrityError):
        Task.update(status="done", validated_by="thor").where(Task.id == task.id).execute()
    GateResult.create(task=task, round=1, gate=1, name="compliance", verdict="pass")
    GateResult.create(task=task, round=1, gate=2, name="quality", verdict="fail")
    with pytest.raises(pw.IntegrityError):
        Task.update(status="done", validated_by="thor").where(Task.id == task.id).execute()
    with pytest.raises(pw.IntegrityError):
        Task.update(status="done", validated_by="human:bob").where(Task.id == task.id).execute()
    Escalation.create(task=task, reason="3 rejections", status="approved", decided_by="bob")
    Task.update(status="done", validated_by="human:bob").where(Task.id == task.id).execute()
    assert Task.get_by_id(task.id).status == "done"


def test_updated_at_is_a_watermark_for_any_writer(db_file: Path) -> None:
    task = make_task()
    # An old stamp (a write that sets updated_at itself is taken as is): the clock's
    # millisecond resolution cannot make the new stamp equal to it.
    Task.update(updated_at=1_000_000_000.0).where(Task.id == task.id).execute()
    before = Task.get_by_id(task.id).updated_at
    assert before == 1_000_000_000.0
    raw = sqlite3.connect(db_file)
    raw.execute("UPDATE task SET status='queued' WHERE id=?", (task.id,))
    raw.commit()
    raw.close()
    assert Task.get_by_id(task.id).updated_at > before


def test_cli_reports_an_unusable_database_without_a_traceback(tmp_path: Path) -> None:
    from conftest import run_cli

    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database, just notes\n" * 100)
    result = run_cli("--db", str(bogus), "plan", "list")
    assert result.returncode == 2
    assert f"error: database {bogus}: file is not a database" in result.stderr
    assert "Traceback" not in result.stderr
    assert bogus.read_text().startswith("not a database")
