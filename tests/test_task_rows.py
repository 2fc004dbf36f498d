"""The task table's model (tui/task_rows.py), its column widths (tui/task_columns.py) and
the main screen's read state (tui/read_state.py): plan order whatever order rows arrive
in, the filter, a page's widths, and a load's watermark. Pure: no Textual, no database."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from convergio_tui.engine.budget import BudgetStatus
from convergio_tui.store.queries import TaskLine
from convergio_tui.tui.poller import PlanDelta
from convergio_tui.tui.read_state import ReadState
from convergio_tui.tui.task_columns import FIT_MAX, fitted_cells, fitted_widths
from convergio_tui.tui.task_filter import parse_filter
from convergio_tui.tui.task_rows import TaskRows


def line(task_id: int, wave: int, code: str, status: str = "pending") -> TaskLine:
    return TaskLine(task_id, wave, code, f"task {code}", "coding", "P1", "internal", "claude",
                    "sonnet", status, 1, (), 0.0, None, None, status == "running")  # fmt: skip


def run(task: TaskLine) -> TaskLine:
    return replace(task, status="running", running=True)


PLAN = [line(i + 1, 1 + i // 100, f"T{1 + i // 100}-{i % 100:03d}") for i in range(300)]


def test_rows_keep_plan_order_whatever_order_they_arrive_in() -> None:
    rows = TaskRows()
    shuffled = PLAN[:]
    random.Random(7).shuffle(shuffled)
    rows.put(shuffled[:250])  # out of order, in one go
    for one in shuffled[250:]:  # ... then one by one
        rows.put([one])
    assert rows.shown == rows.order == [t.id for t in PLAN]
    assert [rows.index(t.id) for t in PLAN] == list(range(300))


def test_pages_append_and_a_known_only_read_leaves_unknown_tasks_to_the_pages() -> None:
    rows = TaskRows()
    rows.put(PLAN[:40])
    put = rows.put([PLAN[10], replace(PLAN[200], status="running")], known_only=True)
    assert [t.id for t in put.changed] == [] and rows.index(PLAN[200].id) is None
    put = rows.put([replace(PLAN[10], status="done")], known_only=True)
    assert [t.id for t in put.changed] == [PLAN[10].id] and not put.moved
    for start in range(40, 300, 100):
        page = rows.put(PLAN[start : start + 100])
        assert page.moved and page.appended  # the rows in view stay as they were drawn
    assert rows.shown == [t.id for t in PLAN] and rows.lines[PLAN[10].id].status == "done"


def test_only_rows_added_after_the_last_count_as_appended() -> None:
    rows = TaskRows()
    rows.put(PLAN[100:200])
    assert not rows.put(PLAN[:10]).appended  # before the first: the rows in view move
    assert not rows.put(PLAN[50:51] + PLAN[250:260]).appended  # one of them in between
    assert not rows.put([replace(PLAN[100], wave_seq=3, code="T3-999")]).appended  # moved
    assert not rows.put([run(PLAN[150])]).moved  # a change in place moves no row
    rows.set_filter(parse_filter("status:running"))
    assert not rows.put([run(PLAN[120])]).appended  # it starts to match, in the middle
    assert rows.put([run(PLAN[299])]).appended  # a new row after the last shown


def test_the_filter_follows_status_changes_and_a_task_that_moves_wave_moves_row() -> None:
    rows = TaskRows()
    rows.put(PLAN)
    rows.set_filter(parse_filter("status:running"))
    assert rows.shown == []
    put = rows.put([run(PLAN[150]), run(PLAN[5])])
    assert put.moved and rows.shown == [PLAN[5].id, PLAN[150].id] and rows.live == {6, 151}
    rows.put([replace(PLAN[5], status="done", running=False)])
    assert rows.shown == [PLAN[150].id] and rows.live == {151}
    rows.set_filter(parse_filter(""))
    moved = replace(PLAN[0], wave_seq=3, code="T3-999")  # re-planned into the last wave
    rows.put([moved])
    assert rows.shown[-1] == moved.id and rows.index(moved.id) == 299
    assert rows.remove([moved.id, PLAN[1].id]) and len(rows) == 298
    assert rows.next_after(0, lambda t: t.status == "running") == rows.index(PLAN[150].id)


def delta(read_at: float, *, full: bool = False, more: tuple[int, str] | None = None,
          ids: frozenset[int] | None = None) -> PlanDelta:  # fmt: skip
    budget = BudgetStatus("2026-12-01", 10.0, 0.0, 0.0, 80.0, False)
    return PlanDelta(1, full, read_at, None, (), (), ids, (), (), budget, (), (), 0, more=more)


def test_while_the_plan_loads_reads_keep_its_watermark_and_the_first_after_it_moves_it() -> None:
    state = ReadState(first_page=40)
    first = state.request(1, force=False, after_event=None, known=frozenset)
    assert first.since is None and first.first_page == 40
    state.read(delta(100.0, full=True, more=(1, "T1-039")))
    assert state.loading and state.since == 100.0
    during = state.request(1, force=False, after_event=0, known=frozenset)
    # Rows past the pages shown are left to the pages: a read asks up to the last one.
    assert during.since == 100.0 and during.first_page == 0 and during.upto == (1, "T1-039")
    state.read(delta(101.0))  # asked for while loading: a page may still bring older rows
    assert state.since == 100.0
    state.paged((2, "T2-099"))
    assert state.request(1, force=False, after_event=0, known=frozenset).upto == (2, "T2-099")
    state.pages_done()
    after = state.request(1, force=False, after_event=0, known=frozenset)
    assert after.since == 100.0 and after.upto is None  # what changed while pages came in
    state.read(delta(102.0))
    assert state.since == 102.0
    assert state.counted(tasks=300, known=299)  # a task was added or deleted
    check = state.request(1, force=False, after_event=0, known=lambda: frozenset({1, 2}))
    assert check.known == frozenset({1, 2})
    state.read(delta(103.0, ids=frozenset({1, 2, 3})))
    assert not state.check_ids
    other = state.request(2, force=False, after_event=0, known=frozenset)
    assert other.since is None and other.first_page == 40  # another plan: a first read


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(
    st.text(min_size=1, max_size=20),  # codes the plan format would refuse too: 漢, \x1b, \t
    st.one_of(st.none(), st.sampled_from(["claude", "opencode", "gemini"])),
    st.text(max_size=40),
    st.sampled_from([0.0, 0.004, 1.5, 123456.789]),
    st.sampled_from(["coding", "docs", "長い種類"]),
), min_size=1, max_size=30))  # fmt: skip
def test_a_page_widens_each_fitted_column_to_its_widest_cell(
    rows: list[tuple[str, str | None, str, float, str]],
) -> None:
    lines = [replace(line(i, 1, code), provider=provider, model=model, cost_usd=cost, type=kind)
             for i, (code, provider, model, cost, kind) in enumerate(rows)]  # fmt: skip
    one_by_one = {key: max(cell_len(fitted_cells(t)[key]) for t in lines) for key in FIT_MAX}
    assert fitted_widths(lines) == one_by_one
