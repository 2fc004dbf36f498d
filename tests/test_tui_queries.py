"""The dashboard's read-only queries, on real SQLite files."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store import queries as q
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.migrations import SCHEMA_VERSION
from convergio_tui.store.models import Ledger, Run, Task, now
from convergio_tui.tui.poller import PollRequest, read_delta


@pytest.fixture
def sample(isolated_home: Path, shipped_config: Config) -> sample_data.SampleIds:
    """The sample plan in a fresh database under the isolated home."""
    ids = sample_data.seed(
        isolated_home / "convergio.db", shipped_config, logs_dir=isolated_home / "logs"
    )
    yield ids
    close_database()


def in_thread(work: Callable[[], object]) -> None:
    """Run ``work`` on another thread (its own SQLite connection), as another writer would."""
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)


def test_probe_tells_missing_old_new_unreadable_and_ok(tmp_path: Path) -> None:
    assert q.probe_database(tmp_path / "nope.db").state == "missing"
    assert not (tmp_path / "nope.db").exists()  # probing never creates the file

    old = tmp_path / "old.db"
    con = sqlite3.connect(old)  # Convergio's version table at an older version
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL)")
    con.execute("INSERT INTO schema_version VALUES (1, 0)")
    con.commit()
    con.close()
    probe = q.probe_database(old)
    assert probe.state == "too_old" and f"version {SCHEMA_VERSION}" in probe.message

    new = tmp_path / "new.db"
    con = sqlite3.connect(new)
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL)")
    con.execute("INSERT INTO schema_version VALUES (?, 0)", (SCHEMA_VERSION + 5,))
    con.commit()
    con.close()
    assert q.probe_database(new).state == "too_new"

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    assert q.probe_database(junk).state == "unreadable"

    good = tmp_path / "good.db"
    open_database(good)
    close_database()
    assert q.probe_database(good).ok


def test_probe_reports_a_locked_database_quickly(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    open_database(path)
    close_database()
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        probe = q.probe_database(path, timeout_s=0.2)
    finally:
        holder.rollback()
        holder.close()
    assert probe.state == "locked" and "locked" in probe.message


def test_task_lines_since_watermark_returns_only_changed_rows(
    sample: sample_data.SampleIds,
) -> None:
    every = q.task_lines(sample.plan_id)
    assert [t.code for t in every][:3] == ["T1-01", "T1-02", "T1-03"] and len(every) == 14
    mark = now()
    unchanged = {t.code for t in q.task_lines(sample.plan_id, since=mark)}
    assert unchanged == {"T2-01", "T2-02", "T2-05"}  # live runs: their elapsed time moves

    target = sample.task_ids["T3-01"]
    in_thread(lambda: Task.update(status="queued").where(Task.id == target).execute())
    changed = {t.code: t for t in q.task_lines(sample.plan_id, since=mark)}
    assert set(changed) == {"T2-01", "T2-02", "T2-05", "T3-01"}
    assert changed["T3-01"].status == "queued"


def test_costs_and_elapsed_come_from_runs(sample: sample_data.SampleIds) -> None:
    lines = {t.code: t for t in q.task_lines(sample.plan_id)}
    assert lines["T1-03"].cost_usd == pytest.approx(2.45) and lines["T1-03"].round == 2
    assert lines["T2-01"].running and lines["T2-01"].finished_at is None
    assert not lines["T1-01"].running and lines["T1-01"].finished_at is not None
    run = Run.get(Run.task == sample.task_ids["T2-01"])
    mark = now()
    in_thread(lambda: Run.update(status="succeeded", finished_at=now(), cost_usd=0.5)
              .where(Run.id == run.id).execute())  # fmt: skip
    line = {t.code: t for t in q.task_lines(sample.plan_id, since=mark)}["T2-01"]
    assert line.cost_usd == pytest.approx(0.5) and not line.running


def test_spend_series_buckets_premium_charges_only(sample: sample_data.SampleIds) -> None:
    start = sample_data.SAMPLE_NOW - 24 * 3600
    series = q.spend_series(start, sample_data.SAMPLE_NOW + 1, 24)
    assert len(series) == 24
    premium = Ledger.select().where(Ledger.kind == "charge", Ledger.premium == True)  # noqa: E712
    assert sum(series) == pytest.approx(sum(r.usd for r in premium))
    assert series[-1] > 0 and series[0] == 0


def test_escalation_detail_has_every_round_diff_and_spend(sample: sample_data.SampleIds) -> None:
    (line,) = q.pending()
    assert line.task_code == "T2-03" and line.round == 3
    detail = q.escalation_detail(line.id)
    assert detail is not None
    assert sorted({g.round for g in detail.gates}) == [1, 2, 3]
    assert all(any(g.verdict == "fail" for g in detail.gates if g.round == r) for r in (1, 2, 3))
    assert "2 files changed" in detail.escalation.diff_stat and len(detail.runs) == 3


def test_the_inbox_row_is_the_cli_escalation_with_the_documented_keys(
    sample: sample_data.SampleIds,
) -> None:
    (line,) = q.pending()
    assert q.escalation(line.id) == line  # one view: `convergio escalations show` reads it
    assert q.list_escalations(plan_id=sample.plan_id) == [line]
    assert q.list_escalations(plan_id=sample.plan_id + 1) == []
    assert q.count_pending_escalations() == 1 == q.plan_head(sample.plan_id).pending_escalations
    page = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()
    table = page.split("`ESCALATION`:", 1)[1].split("\n## ", 1)[0]
    documented = {k for k in re.findall(r"^\| ([^|]+) \|", table, re.M) for k in
                  re.findall(r"`(\w+)`", k)}  # fmt: skip
    assert set(line.as_dict()) == documented


def test_data_version_moves_only_when_another_connection_commits(
    sample: sample_data.SampleIds,
) -> None:
    first = q.data_version()
    assert q.data_version() == first
    in_thread(
        lambda: Task.update(title="renamed").where(Task.id == sample.task_ids["T3-02"]).execute()
    )
    assert q.data_version() != first


def test_read_delta_marks_full_reads_and_carries_the_budget(
    sample: sample_data.SampleIds, shipped_config: Config
) -> None:
    config = sample_data.sample_config(shipped_config)
    full = read_delta(PollRequest(sample.plan_id, None), config, sample_data.SAMPLE_NOW)
    assert full.full and full.task_ids is not None and len(full.tasks) == 14
    assert full.budget.alert and not full.budget.capped and full.head is not None
    assert {r.code for r in full.running} == {"T2-01", "T2-02", "T2-05"}
    Task.update(updated_at=now() - 60).execute()  # as if seeded a minute ago
    partial = read_delta(PollRequest(sample.plan_id, full.read_at), config, sample_data.SAMPLE_NOW)
    assert not partial.full and partial.task_ids is None
    assert {t.code for t in partial.tasks} == {"T2-01", "T2-02", "T2-05"}


def test_rows_read_again_unchanged_are_left_out_until_a_read_is_not_shown(
    sample: sample_data.SampleIds, shipped_config: Config
) -> None:
    # A plan written a moment ago: every row is within the watermark's slack at each read.
    config = sample_data.sample_config(shipped_config)
    seen = q.SeenRows()
    full = read_delta(PollRequest(sample.plan_id, None), config, sample_data.SAMPLE_NOW, seen)
    since = full.read_at

    def changed(upto: tuple[int, str] | None = None) -> set[str]:
        request = PollRequest(sample.plan_id, since, upto=upto)
        return {t.code for t in read_delta(request, config, sample_data.SAMPLE_NOW, seen).tasks}

    assert len(changed()) == 14  # the first read of changed rows: every row in the slack
    assert changed() == set()  # nothing changed since: live runs' elapsed is the clock's
    target = sample.task_ids["T3-01"]
    in_thread(lambda: Task.update(status="queued").where(Task.id == target).execute())
    assert changed() == {"T3-01"}
    running = sample.task_ids["T2-01"]
    in_thread(lambda: Run.update(cost_usd=Run.cost_usd + 1).where(Run.task == running).execute())
    assert changed() == {"T2-01"}  # a run's change, the task row as it was
    # While a plan loads, its pages may land after a read: nothing is left out, and what
    # was held is forgotten (the next read brings every row again).
    assert len(changed(upto=(9, "T9"))) == 14 and not seen
    assert len(changed()) == 14
    seen.clear()  # as the screen does when a read was not shown
    assert len(changed()) == 14
