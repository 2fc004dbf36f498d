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
from convergio_tui.store.plan_sql import task_rows


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
