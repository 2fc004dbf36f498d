"""A dispatch costs the same whatever the size of its wave: the scheduler keeps its ready
queue in memory (engine/ready.py) instead of sorting every queued task of the wave and
counting each one's finished dependencies on every wake-up.

Counted, not timed: the SQL statements the scheduler's thread sends to the ``task``
table before each of the first dispatches, at a wave of 10 tasks and at one of 1,000.
(Reads of health and of the plan row are cached for a time window, so their number
depends on the clock; the ``task`` statements are the ones that could grow with a wave.)
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from typing import Any

from engine_fixtures import engine_config, import_spec, task

from convergio_tui.engine.dispatch_pass import DispatchCounts
from convergio_tui.engine.events import EngineEvent, RunStarted
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.ready import ReadyQueue, changed_rows
from convergio_tui.store.models import Task, db
from convergio_tui.store.states import TaskStatus

PARALLEL = 4
TASK_TABLE = re.compile(r'(FROM|UPDATE|INTO|JOIN) "task"')


def _count(statements: list[str]) -> int:
    """Statements on the task table. SQLite reports a statement again for each row its
    triggers run on (the ``updated_at`` touch): a repeat in a row is the same statement."""
    kept = [s for i, s in enumerate(statements) if i == 0 or s != statements[i - 1]]
    return sum(1 for s in kept if TASK_TABLE.search(s))


def _statements_per_dispatch(repo: Path, ollama: str, tmp_path: Path, size: int) -> list[int]:
    """Task-table statements of the scheduler's thread up to each of the first
    ``PARALLEL`` dispatches of a one-wave plan of ``size`` tasks, most of which wait for a
    dependency (and sort first: the old scheduler counted their dependencies every pass)."""
    config = engine_config(
        repo, ollama, project_privacy="sensitive",
        execution={"worktrees": False, "max_parallel": PARALLEL},
        providers={"opencode": {"max_parallel": PARALLEL}},
    )  # fmt: skip
    runnable = [
        task(f"R{i}", "Nothing to do.", type="bulk", priority="P3") for i in range(PARALLEL)
    ]
    waiting = [task(f"W{i:04d}", "Nothing to do.", type="bulk", priority="P0", depends_on=["R0"])
               for i in range(size - PARALLEL)]  # fmt: skip
    plan = import_spec(config, tmp_path, [[*runnable, *waiting]], name=f"size{size}")
    statements: list[str] = []
    marks: list[int] = []
    executor: Executor | None = None

    def listener(event: EngineEvent) -> None:
        if isinstance(event, RunStarted):
            marks.append(_count(statements))
            if len(marks) == PARALLEL and executor is not None:
                executor.stop()  # enough seen: the runs are killed, their tasks re-queued

    executor = Executor(config, plan, parallel=PARALLEL, listener=listener)
    connection = db.connection()  # the scheduler is this thread: its statements are ours
    connection.set_trace_callback(statements.append)
    try:
        executor.run()
    finally:
        connection.set_trace_callback(None)
    assert len(marks) == PARALLEL
    return marks


def test_statements_per_dispatch_do_not_grow_with_the_wave(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    small = _statements_per_dispatch(repo, ollama, tmp_path, 10)
    large = _statements_per_dispatch(repo, ollama, tmp_path, 1000)
    assert small == large, (small, large)
    per_dispatch = [b - a for a, b in pairwise(small)]
    assert len(set(per_dispatch)) == 1, per_dispatch  # each dispatch alike


def _busy_provider_counts(repo: Path, ollama: str, tmp_path: Path, size: int) -> DispatchCounts:
    """The scheduler's routing work over the first dispatches of a wave of ``size`` tasks
    in two routing classes (P0 and P3) whose only provider has one slot: a sensitive
    project, so only opencode may run them, under a scheduler ``PARALLEL`` wide (slots
    free on every pass, the provider busy on most)."""
    config = engine_config(
        repo, ollama, project_privacy="sensitive",
        execution={"worktrees": False, "max_parallel": PARALLEL},
        providers={"opencode": {"max_parallel": 1}},
    )  # fmt: skip
    tasks = [task(f"T{i:04d}", "Nothing to do.", type="bulk", priority="P0" if i % 2 else "P3")
             for i in range(size)]  # fmt: skip
    plan = import_spec(config, tmp_path, [tasks], name=f"busy{size}")
    started: list[int] = []
    executor: Executor | None = None

    def listener(event: EngineEvent) -> None:
        if isinstance(event, RunStarted):
            started.append(event.run_id)
            if len(started) == 3 and executor is not None:
                executor.stop()

    executor = Executor(config, plan, parallel=PARALLEL, listener=listener)
    executor.run()
    assert len(started) == 3
    return executor.counts


def test_a_busy_provider_is_routed_once_per_class_and_pass_whatever_the_wave(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    for size in (10, 1000):
        counts = _busy_provider_counts(repo, ollama, tmp_path, size)
        # A pass routes the task it dispatches and, at most, one task of each class to
        # find the provider busy; the old scheduler routed every queued task on each pass.
        assert counts.dispatched == 3, (size, counts)
        assert counts.most_routed <= 1 + 2, (size, counts)
        assert counts.routed <= counts.dispatched + 2 * counts.passes, (size, counts)


def _queued_wave(
    repo: Path, ollama: str, tmp_path: Path, tasks: list[dict[str, Any]]
) -> tuple[dict[str, int], int, ReadyQueue]:
    """A one-wave plan of ``tasks``, all queued, and its ready queue after a first look:
    the tasks' ids by code, the wave's id, the queue."""
    plan = import_spec(engine_config(repo, ollama), tmp_path, [tasks])
    Task.update(status=TaskStatus.QUEUED).execute()
    ids = {t.code: t.id for t in Task.select()}
    queue = ReadyQueue(plan)
    queue.refresh()
    return ids, Task.get(Task.code == tasks[0]["code"]).wave_id, queue


def test_the_ready_queue_leaves_out_skipped_classes_in_order(
    repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    ids, wave, queue = _queued_wave(repo, ollama, tmp_path, [
        task("A", "x", priority="P1"), task("B", "x", priority="P0", type="bulk"),
        task("C", "x", priority="P1"), task("D", "x", priority="P0", type="bulk"),
    ])  # fmt: skip
    first = queue.pop(wave, False)
    assert first is not None and first[0] == ids["B"]  # P0 first
    bulk = first[1]
    taken = []
    while (popped := queue.pop(wave, False, skip={bulk})) is not None:
        taken.append(popped[0])
    assert taken == [ids["A"], ids["C"]]  # D, of the skipped class, left alone
    last = queue.pop(wave, False)
    assert last is not None and last[0] == ids["D"]
    # A task whose class changes (its privacy stored stricter) moves with it.
    queue.give_back([ids["A"]])
    Task.update(privacy="sensitive").where(Task.id == ids["A"]).execute()
    queue.refresh()
    moved = queue.pop(wave, False, skip={bulk})
    assert moved is not None and moved[0] == ids["A"] and moved[1][2] == "sensitive"


def test_the_ready_queue_reads_changed_rows_through_an_index(engine_db: Path) -> None:
    sql, params = changed_rows(1, 12.5).sql()
    plan = " ".join(row[3] for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "INDEX task_plan_updated" in plan and "TEMP B-TREE" not in plan


def test_the_ready_queue_follows_priorities_dependencies_and_changes(
    repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    ids, wave, queue = _queued_wave(repo, ollama, tmp_path, [
        task("A", "x", priority="P2"), task("B", "x", priority="P0", depends_on=["A"]),
        task("C", "x", priority="P1"),
    ])  # fmt: skip

    def pop(with_blocked: bool) -> int | None:
        taken = queue.pop(wave, with_blocked)
        return None if taken is None else taken[0]

    assert pop(False) == ids["C"]  # B sorts first but waits for A
    queue.give_back([ids["C"]])
    assert [pop(False), pop(False)] == [ids["C"], ids["A"]]
    assert pop(False) is None

    Task.update(status=TaskStatus.BLOCKED).where(Task.id == ids["C"]).execute()
    db.execute_sql(
        "DROP TRIGGER task_done_guard"
    )  # a done task without Thor's gates, for this test
    Task.update(status=TaskStatus.DONE, validated_by="thor").where(Task.id == ids["A"]).execute()
    queue.refresh()
    assert pop(False) == ids["B"]  # A done: B ready; C blocked, not offered
    assert pop(False) is None
    assert pop(True) == ids["C"]  # offered on a retry of blocked tasks
