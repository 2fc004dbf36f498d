"""One pass of the scheduler over a wave's ready tasks: dispatch them, in order, while
slots are free.

The ready queue (engine/ready.py) is brought up to date first (the rows changed since its
last look), so a pass does not grow with the wave's size; nor does it when a provider is
at its ``max_parallel``: a routing class found busy is left out for the rest of the pass,
its tasks untouched in the queue, until a dispatch changes what routing sees (the
budget's headroom, the running counts). Priority order stands: a busy class never holds
back another class's tasks, and ``max_parallel`` is still checked on every dispatch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import Blocked, Busy, Prepared
from convergio_tui.engine.ready import Klass, ReadyQueue
from convergio_tui.store.models import Task
from convergio_tui.store.statements import select_by_id
from convergio_tui.store.states import TASK_DISPATCHABLE, TaskStatus

# Routes and starts one task: delegate.prepare's outcome (a Prepared is running now).
DispatchOne = Callable[[Task], Prepared | Blocked | Busy | None]


@dataclass
class DispatchCounts:
    """The scheduler's routing work so far: passes over the ready queue, tasks routed,
    tasks dispatched, and the most tasks routed in one pass (``Executor.counts``;
    tests/test_engine_dispatch_cost.py bounds them)."""

    passes: int = 0
    routed: int = 0
    dispatched: int = 0
    most_routed: int = 0


def dispatch_pass(ctx: EngineContext, queue: ReadyQueue, wave_id: int, retry_blocked: bool,
                  dispatch_one: DispatchOne, stop: threading.Event,
                  counts: DispatchCounts) -> None:  # fmt: skip
    """Dispatch ``wave_id``'s ready tasks (blocked ones too when ``retry_blocked``) with
    ``dispatch_one`` while ``ctx`` has free slots and ``stop`` is not set."""
    free = ctx.parallel - len(ctx.active)
    if free <= 0:
        return
    counts.passes += 1
    statuses = TASK_DISPATCHABLE if retry_blocked else {TaskStatus.QUEUED}
    queue.refresh()
    held: list[int] = []  # taken and not dispatched: offered again, in their place
    busy: set[Klass] = set()  # classes routed to a provider at its max_parallel
    routed = 0
    try:
        while free > 0 and not stop.is_set():
            popped = queue.pop(wave_id, retry_blocked, busy)
            if popped is None:
                break
            task_id, klass = popped
            if task_id in ctx.active or task_id in ctx.hard_blocked:
                continue  # running, or refused until a person acts
            task = select_by_id(Task, task_id)
            if task is None or task.status not in statuses or task.wave_id != wave_id:
                continue  # changed since the queue's last look; its next look tells
            routed += 1
            outcome = dispatch_one(task)
            if isinstance(outcome, Prepared):
                free -= 1
                counts.dispatched += 1
                busy.clear()  # routing may see otherwise now
                continue
            held.append(task_id)
            if isinstance(outcome, Busy):
                busy.add(klass)
    finally:
        queue.give_back(held)
        counts.routed += routed
        counts.most_routed = max(counts.most_routed, routed)
