"""A plan's task rows in plan order (wave, then code), read whole or a page at a time:
the pages put together are the whole plan, and no read of a page sorts the plan."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from convergio_tui.store import queries as q
from convergio_tui.store.db import close_database, immediate, open_database, sqlite_connection
from convergio_tui.store.models import Plan, Project, Run, Task, Wave
from convergio_tui.store.plan_sql import TOTALS_BY_ID, task_rows


@pytest.fixture
def plan_id(tmp_path: Path) -> Iterator[int]:
    """A plan of three waves of 7, 1 and 12 tasks, inserted in shuffled order (so the
    rows' ids are not the plan order), with a second plan beside it."""
    open_database(tmp_path / "convergio.db")
    shuffled = random.Random(7)
    with immediate():
        project = Project.create(name="p", path=str(tmp_path))
        plans = [Plan.create(project=project, name=n, status="doing") for n in ("a", "b")]
        for plan in plans:
            # Waves created out of order too: their ids are not their seq.
            for seq, size in shuffled.sample([(1, 7), (2, 1), (3, 12)], 3):
                wave = Wave.create(plan=plan, seq=seq, name=f"w{seq}", status="pending")
                codes = [f"{plan.name}{seq}-{chr(97 + i)}" for i in range(size)]
                for code in shuffled.sample(codes, len(codes)):
                    Task.create(plan=plan, wave=wave, code=code, title=code, prompt="x",
                                type="coding", priority="P1", privacy="internal",
                                status="pending")  # fmt: skip
        task = Task.get(Task.code == "a3-c")
        Run.create(task=task, provider="copilot", model="m", status="done", cost_usd=0.25)
    yield int(plans[0].id)
    close_database()


def test_pages_of_any_size_put_together_are_the_plan_in_order(plan_id: int) -> None:
    whole = q.task_lines(plan_id)
    assert [(t.wave_seq, t.code) for t in whole] == sorted((t.wave_seq, t.code) for t in whole)
    assert len(whole) == 20 and {t.code[0] for t in whole} == {"a"}  # not the other plan's
    for size in (1, 2, 6, 7, 8, 19, 20, 50):
        pages, after = [], (0, "")
        while True:
            page = q.task_lines(plan_id, after=after, limit=size)
            pages += page
            if len(page) < size:
                break
            after = (page[-1].wave_seq, page[-1].code)
        assert pages == list(whole), size
    assert {t.code: t.cost_usd for t in whole}["a3-c"] == 0.25  # a page carries its runs


def test_a_page_seeks_to_its_place_and_sorts_nothing(plan_id: int) -> None:
    con = sqlite_connection()
    seen: list[str] = []
    con.set_trace_callback(seen.append)
    try:
        task_rows(con, plan_id, after=(1, "a1-c"), limit=3)
        task_rows(con, plan_id)
    finally:
        con.set_trace_callback(None)
    reads = [s for s in seen if "FROM wave w JOIN task t" in s]
    assert len(reads) == 2
    for sql in reads:
        plan = " ".join(r[3] for r in con.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "TEMP B-TREE" not in plan and "INDEX task_wave_code" in plan, plan


def test_changed_rows_up_to_a_place_leave_the_rest_to_the_pages(plan_id: int) -> None:
    whole = q.task_lines(plan_id)
    upto = q.task_lines(plan_id, since=0.0, upto=(1, "a1-c"))
    assert [t.code for t in upto] == ["a1-a", "a1-b", "a1-c"]
    assert q.task_lines(plan_id, since=0.0) == whole  # every row changed since 0


def test_the_runs_of_many_changed_rows_are_totalled_over_the_plan(tmp_path: Path) -> None:
    # More changed rows than one statement takes ids for (a plan imported a moment ago,
    # all within the watermark's slack): the totals are those of the plan-wide read.
    open_database(tmp_path / "convergio.db")
    try:
        with immediate():
            project = Project.create(name="p", path=str(tmp_path))
            plan = Plan.create(project=project, name="big", status="doing")
            wave = Wave.create(plan=plan, seq=1, name="w", status="pending")
            Task.insert_many([
                {"plan": plan.id, "wave": wave.id, "code": f"T-{i:05d}", "title": "t",
                 "prompt": "x", "type": "coding"}
                for i in range(TOTALS_BY_ID + 200)
            ]).execute()  # fmt: skip
            for code, cost, status in (("T-00007", 0.5, "done"), ("T-05100", 1.25, "running")):
                Run.create(task=Task.get(Task.code == code), provider="claude", model="m",
                           status=status, cost_usd=cost, started_at=10.0)  # fmt: skip
        changed = q.task_lines(int(plan.id), since=0.0)
        assert len(changed) == TOTALS_BY_ID + 200
        assert changed == q.task_lines(int(plan.id))
        by_code = {t.code: t for t in changed}
        assert by_code["T-00007"].cost_usd == 0.5 and not by_code["T-00007"].running
        assert by_code["T-05100"].cost_usd == 1.25 and by_code["T-05100"].running
    finally:
        close_database()


def test_the_waves_task_counts_read_an_index_alone_and_give_the_header_its_own(
    plan_id: int,
) -> None:
    con = sqlite_connection()
    seen: list[str] = []
    con.set_trace_callback(seen.append)
    try:
        waves = q.plan_waves(plan_id)
    finally:
        con.set_trace_callback(None)
    (counting,) = [s for s in seen if "GROUP BY" in s]
    plan = " ".join(r[3] for r in con.execute(f"EXPLAIN QUERY PLAN {counting}"))
    assert "COVERING INDEX task_plan_wave_status" in plan and "TEMP B-TREE" not in plan, plan
    assert [(w.seq, w.total) for w in waves] == [(1, 7), (2, 1), (3, 12)]
    Task.update(status="failed").where(Task.code == "a3-c").execute()
    Task.update(status="running").where(Task.code.in_(["a1-a", "a2-a"])).execute()
    head = q.plan_head(plan_id, q.plan_waves(plan_id))
    assert head == q.plan_head(plan_id)  # the waves given, or read by plan_head itself
    assert head is not None and (head.tasks, head.failed, head.running) == (20, 1, 2)
