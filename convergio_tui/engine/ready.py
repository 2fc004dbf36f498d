"""The scheduler's ready queue: which tasks of a wave may be dispatched next.

Kept in memory by the scheduler, so a wake-up costs the same whatever the wave's size:
the first look reads the plan's tasks once; every later look reads only the rows changed
since (``task.updated_at`` is a watermark every writer moves, see store/migrations.py,
indexed with the plan by store/task_indexes.py), whoever changed them: this engine's
workers, a person's cancel or retry, another process. Dependencies are counted, not
queried: each task knows how many of its ``depends_on`` are not done, and a task turning
done (or no longer done, when a wave review sends it back) updates its dependents.

Per wave, ``queued`` and ``blocked`` heaps, ordered like the scheduler dispatches
(priority, then code); blocked tasks are only offered on the scheduler's periodic retry.
Each is split by routing class (:data:`Klass`: the fields routing reads from the task),
so the scheduler can leave out a class whose provider is at its ``max_parallel`` without
touching its tasks; :meth:`ReadyQueue.pop` takes the first task over the classes left.
Entries are dropped lazily: one that no longer matches its task's state is skipped when
it comes to the top. The database stays the truth: the scheduler re-reads a task's row
before dispatching it and :meth:`reload` re-reads everything before a wave is settled.
"""

from __future__ import annotations

import heapq
from collections.abc import Container, Iterable
from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.models import Task
from convergio_tui.store.statements import fetch
from convergio_tui.store.states import TaskStatus

QUEUED, BLOCKED = TaskStatus.QUEUED.value, TaskStatus.BLOCKED.value
_HEAP_OF = {QUEUED: QUEUED, BLOCKED: BLOCKED}  # the statuses a task is offered in
_COLUMNS = (Task.id, Task.wave, Task.code, Task.priority, Task.status, Task.depends_on,
            Task.updated_at, Task.type, Task.privacy, Task.requested_provider,
            Task.requested_model)  # fmt: skip

_DEPENDS = Task.depends_on.python_value

# What routing reads from a task row, apart from its prompt's length (which only changes
# the estimate, never the provider): (priority, type, privacy, requested provider, model).
# Two tasks of one class route alike at one moment; the scheduler relies on it to route
# a class whose provider is busy once per pass, not once per task.
Klass = tuple[str, str, str, str | None, str | None]


@dataclass(frozen=True)
class TaskState:
    """What the queue knows of one task: enough to order it and to count its dependencies."""

    id: int
    wave_id: int
    code: str
    priority: str
    status: str
    depends_on: tuple[str, ...]
    klass: Klass


Entry = tuple[str, str, int]  # (priority, code, task id): the dispatch order
Offer = tuple[str, Klass]  # (status, class): the heap holding a task's live entry


def changed_rows(plan_id: int, since: float | None) -> pw.ModelSelect:
    """The plan's task rows written at or after ``since`` (all of them for None), through
    the ``task_plan_updated`` index. ``>=``: a row written in the same millisecond as the
    newest one read may have been committed after that read; applying a row twice
    changes nothing."""
    query = Task.select(*_COLUMNS).where(Task.plan == plan_id)
    return query if since is None else query.where(Task.updated_at >= since)


class ReadyQueue:
    """The dispatchable, dependency-free tasks of one plan, per wave, in dispatch order."""

    def __init__(self, plan_id: int) -> None:
        self.plan_id = plan_id
        self._reset()

    def _reset(self) -> None:
        self._tasks: dict[int, TaskState] = {}
        self._done: set[str] = set()  # codes of the plan's done tasks
        self._unmet: dict[int, int] = {}  # task id -> dependencies not done
        self._dependents: dict[str, list[int]] = {}  # code -> ids of the tasks needing it
        # (wave id, status) -> class -> heap
        self._heaps: dict[tuple[int, str], dict[Klass, list[Entry]]] = {}
        self._offered: dict[int, Offer] = {}  # task id -> the heap holding its live entry
        self._mark: float | None = None  # the newest updated_at read

    # -- reading the database ------------------------------------------------------------

    def refresh(self) -> int:
        """Apply the plan's task rows changed since the last look (all of them the first
        time); returns how many rows were read. One query."""
        count = 0
        since = self._mark
        plan = self.plan_id
        if since is None:
            rows = fetch("ready.all", lambda: changed_rows(plan, None), (plan,))
        else:
            rows = fetch("ready.since", lambda: changed_rows(plan, 0.0), (plan, since))
        for row in rows:
            count += 1
            klass = (row[3], row[7], row[8], row[9], row[10])
            depends = _DEPENDS(row[5]) or ()  # raw rows: the JSON text, decoded here
            self._apply(TaskState(row[0], row[1], row[2], row[3], row[4],
                                  tuple(dict.fromkeys(depends)), klass))  # fmt: skip
            if self._mark is None or row[6] > self._mark:
                self._mark = row[6]
        return count

    def reload(self) -> None:
        """Forget everything and read the plan's tasks again (before a wave is settled:
        nothing a clock step or a lost row could hide may decide a wave's fate)."""
        self._reset()
        self.refresh()

    # -- keeping the counts --------------------------------------------------------------

    def _apply(self, state: TaskState) -> None:
        old = self._tasks.get(state.id)
        self._tasks[state.id] = state
        if old is None:
            self._unmet[state.id] = sum(d not in self._done for d in state.depends_on)
            for dep in state.depends_on:
                self._dependents.setdefault(dep, []).append(state.id)
        was_done = old is not None and old.status == TaskStatus.DONE
        is_done = state.status == TaskStatus.DONE
        if was_done != is_done:
            (self._done.add if is_done else self._done.discard)(state.code)
            for dependent in self._dependents.get(state.code, ()):
                self._unmet[dependent] += -1 if is_done else 1
                if is_done and self._unmet[dependent] == 0:
                    self._offer(dependent)
        self._offer(state.id)

    def _offer(self, task_id: int) -> None:
        """Put the task in its wave's heap if it may be dispatched and is not there yet."""
        state = self._tasks[task_id]
        kind = _HEAP_OF.get(state.status)
        if kind is None or self._unmet[task_id]:
            return
        offer = (kind, state.klass)
        if self._offered.get(task_id) == offer:
            return
        self._offered[task_id] = offer
        heap = self._heaps.setdefault((state.wave_id, kind), {}).setdefault(state.klass, [])
        heapq.heappush(heap, (state.priority, state.code, task_id))

    def _live_top(self, heap: list[Entry], wave_id: int, offer: Offer) -> Entry | None:
        """The heap's first entry that still stands for its task (stale ones dropped)."""
        kind, klass = offer
        while heap:
            entry = heap[0]
            state = self._tasks.get(entry[2])
            live = (
                self._offered.get(entry[2]) == offer and state is not None
                and state.status == kind and state.klass == klass
                and state.wave_id == wave_id and not self._unmet[entry[2]]
            )  # fmt: skip
            if live:
                return entry
            heapq.heappop(heap)
            if self._offered.get(entry[2]) == offer:
                del self._offered[entry[2]]
        return None

    # -- the scheduler's side ------------------------------------------------------------

    def pop(
        self, wave_id: int, with_blocked: bool, skip: Container[Klass] = ()
    ) -> tuple[int, Klass] | None:
        """Take the next task of ``wave_id`` in dispatch order (blocked ones too when
        ``with_blocked``), leaving out the classes in ``skip`` (their tasks are not
        touched), with its class; or None. Give back what was not dispatched with
        :meth:`give_back`. Costs one look per class, whatever the number of tasks."""
        best: tuple[Entry, list[Entry], Offer] | None = None
        kinds = (QUEUED, BLOCKED) if with_blocked else (QUEUED,)
        for kind in kinds:
            for klass, heap in self._heaps.get((wave_id, kind), {}).items():
                if klass in skip:
                    continue
                offer = (kind, klass)
                top = self._live_top(heap, wave_id, offer)
                if top is not None and (best is None or top < best[0]):
                    best = (top, heap, offer)
        if best is None:
            return None
        _, heap, offer = best
        _, _, task_id = heapq.heappop(heap)
        del self._offered[task_id]
        return task_id, offer[1]

    def give_back(self, task_ids: Iterable[int]) -> None:
        """Offer again tasks taken by :meth:`pop` and not dispatched (a busy provider,
        still blocked): they keep their place."""
        for task_id in task_ids:
            if task_id in self._tasks:
                self._offer(task_id)
