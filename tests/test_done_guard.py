"""The done guard (migration 2) refuses a NULL or unknown ``validated_by``: raw SQL on a
real database file cannot mark a task done, whatever gates and escalations exist."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from convergio_tui.store import migrations
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Escalation, GateResult, Plan, Project, Task, Wave

DONE = "UPDATE task SET status='done', validated_by=? WHERE id=?"


def make_task(code: str, *, gates: tuple[str, ...] = (), approved: bool = False) -> int:
    """A task with round-1 gate results of ``gates`` verdicts and maybe an approval."""
    project = Project.get_or_create(name="p", defaults={"path": "/tmp/p"})[0]
    plan = Plan.get_or_create(project=project, name="plan")[0]
    wave = Wave.get_or_create(plan=plan, seq=1, defaults={"name": "w"})[0]
    task = Task.create(plan=plan, wave=wave, code=code, title="t", prompt="p", type="coding")
    for number, verdict in enumerate(gates, start=1):
        GateResult.create(task=task, round=1, gate=number, name=f"g{number}", verdict=verdict)
    if approved:
        Escalation.create(task=task, reason="3 rejections", status="approved", decided_by="bob")
    return int(task.id)


def refused(raw: sqlite3.Connection, task_id: int, validated_by: str | None) -> bool:
    """True when the guard aborts ``done`` with ``validated_by``."""
    try:
        raw.execute(DONE, (validated_by, task_id))
    except sqlite3.IntegrityError as exc:
        assert "only through Thor" in str(exc)
        return True
    raw.rollback()
    return False


def test_null_or_unknown_validated_by_is_refused_even_when_gates_and_approval_exist(
    db_file: Path,
) -> None:
    # Passing gates *and* an approval: under the v1 guard NULL slipped through here.
    both = make_task("T1", gates=("pass",), approved=True)
    raw = sqlite3.connect(db_file)
    for value in (None, "", "bot", "THOR ", "thor2", "human:", "human", "humans:x"):
        assert refused(raw, both, value), value
    raw.close()
    assert Task.get_by_id(both).status == "pending"


def test_thor_needs_passing_gates_and_a_person_needs_an_approval(db_file: Path) -> None:
    bare = make_task("T1")
    failed = make_task("T2", gates=("pass", "fail"))
    skipped = make_task("T3", gates=("skip",))
    pending_review = make_task("T4", gates=("pass",))
    raw = sqlite3.connect(db_file)
    for task_id in (bare, failed, skipped):
        assert refused(raw, task_id, "thor")
    for task_id in (bare, failed, skipped, pending_review):
        assert refused(raw, task_id, "human:alice")  # no approved escalation
    raw.close()


def test_the_legitimate_paths_still_work(db_file: Path) -> None:
    by_thor = make_task("T1", gates=("pass", "skip"))
    by_person = make_task("T2", gates=("fail",), approved=True)
    raw = sqlite3.connect(db_file)
    raw.execute(DONE, ("thor", by_thor))
    raw.execute(DONE, ("human:alice", by_person))
    raw.commit()
    raw.close()
    assert Task.get_by_id(by_thor).status == "done"
    assert Task.get_by_id(by_person).status == "done"


def test_a_v1_database_is_upgraded_and_loses_the_null_bypass(db_file: Path) -> None:
    # Recreate what a Convergio with schema 1 left behind: its guard, version 1 only.
    raw = sqlite3.connect(db_file)
    raw.executescript(
        "DROP TRIGGER task_done_guard;"
        + migrations._DONE_GUARD
        + ";DELETE FROM schema_version WHERE version > 1;"
    )
    both = make_task("T1", gates=("pass",), approved=True)
    assert not refused(raw, both, None)  # the hole this migration closes
    raw.close()
    close_database()
    open_database(db_file)
    raw = sqlite3.connect(db_file)
    assert refused(raw, both, None)
    versions = [r[0] for r in raw.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, migrations.SCHEMA_VERSION + 1))
    raw.close()
