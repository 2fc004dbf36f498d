"""One read of everything the main screen shows, run on a worker thread.

``read_delta`` returns a :class:`PlanDelta` of plain frozen values. Task rows are read
from the start only on the first read of a plan, and then only its first page (what the
screen shows first); ``read_page`` reads the rest a page at a time while the screen is
already up. Later reads take the rows changed since the previous read (an ``updated_at``
watermark, re-reading a few seconds back so a slow writer's commit is not missed) and the
UI diffs them into the table. When tasks were added or deleted, a read given the ids the
table knows (``known``) reads every id, and the rows of those it does not know.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from convergio_tui.config.schema import Config
from convergio_tui.engine import budget
from convergio_tui.engine.burn import Burn, forecast
from convergio_tui.store import queries as q

# A row stamped just before the previous read may commit just after it.
WATERMARK_SLACK_S = 5.0
SPEND_BUCKETS = 96  # quarter hours of the budget day
IDS_AT_ONCE = 5000  # ids per query when reading tasks by id (SQLite's bound-value limit)


@dataclass(frozen=True)
class PollRequest:
    """What to read: the plan and the watermark (None: the plan's first read)."""

    plan_id: int | None
    since: float | None
    force: bool = False  # read even when no other connection committed since last time
    after_event: int | None = None  # the journal row last read (None: none yet)
    first_page: int = 0  # the first read brings this many task rows (0: every one)
    known: frozenset[int] | None = None  # the task ids shown: check them against the plan
    upto: tuple[int, str] | None = None  # while loading: changed rows up to this place only


@dataclass(frozen=True)
class PlanDelta:
    """The result of one read (``tasks`` holds the plan's first rows when ``full``, every
    row when ``more`` is None too)."""

    plan_id: int | None
    full: bool
    read_at: float
    head: q.PlanHead | None
    waves: tuple[q.WaveLine, ...]
    tasks: tuple[q.TaskLine, ...]
    task_ids: frozenset[int] | None
    running: tuple[q.RunningRun, ...]
    health: tuple[q.HealthLine, ...]
    budget: budget.BudgetStatus
    spend_series: tuple[float, ...]
    premium_requests: tuple[tuple[str, float], ...]
    escalations_total: int
    credits: tuple[tuple[str, float], ...] = ()  # AI credits per provider today
    overruns: tuple[q.OverrunLine, ...] = ()  # today's runs that cost more than reserved
    burn: Burn | None = None  # today's burn rate and the cap's forecast
    plan_spend: tuple[q.PlanSpend, ...] = ()  # today's spend per plan
    in_flight: tuple[q.InFlight, ...] = ()  # reservations held by running premium runs
    journal: tuple[q.JournalLine, ...] = ()  # warnings and errors after ``after_event``
    journal_after: int = 0  # the last journal row read: the next request's ``after_event``
    more: tuple[int, str] | None = None  # a full read's last place, when rows follow it


class DataVersions:
    """``PRAGMA data_version`` last seen per worker thread (each has its own connection).

    When a connection reports the value it reported at its previous read, no other
    connection committed since then, so nothing changed since any later read either.
    """

    def __init__(self) -> None:
        self._seen: dict[int, int] = {}
        self._lock = threading.Lock()

    def unchanged(self) -> bool:
        """Record this thread's value; True when it is the same as last time."""
        version = q.data_version()
        key = threading.get_ident()
        with self._lock:
            same = self._seen.get(key) == version
            self._seen[key] = version
        return same

    def forget(self) -> None:
        """Forget every value (after this process wrote, which data_version ignores)."""
        with self._lock:
            self._seen.clear()


def read_delta(
    request: PollRequest, config: Config, now: float, seen: q.SeenRows | None = None
) -> PlanDelta:
    """Read the main screen's data for ``request``; ``now`` is the displayed time.

    The watermark (``read_at``) is wall-clock time like the rows' ``updated_at``, even when
    the display runs on a fixed clock (screenshots, tests). ``seen``: the changed rows the
    reads before returned, every one of them shown since; rows read again unchanged are
    left out (not while a plan loads: its pages may land after a read).
    """
    read_at = time.time()
    plan_id = request.plan_id
    # The waves' task counts give the header's too: the plan's tasks are counted once.
    waves = q.plan_waves(plan_id) if plan_id is not None else ()
    head = q.plan_head(plan_id, waves) if plan_id is not None else None
    full = request.since is None
    if seen is not None and (head is None or full or request.upto is not None):
        seen.clear()  # only a read of changed rows, not during a load, leaves rows out
        seen = None
    more: tuple[int, str] | None = None
    ids: frozenset[int] | None = None
    if head is None:
        waves = ()
        tasks: tuple[q.TaskLine, ...] = ()
        ids = frozenset()
        running: tuple[q.RunningRun, ...] = ()
    else:
        assert plan_id is not None
        if full:
            tasks = q.task_lines(plan_id, limit=request.first_page or None)
            if request.first_page and len(tasks) == request.first_page:
                more = (tasks[-1].wave_seq, tasks[-1].code)
            else:
                ids = frozenset(t.id for t in tasks)
        else:
            since = (request.since or 0.0) - WATERMARK_SLACK_S
            tasks = q.task_lines(plan_id, since=since, upto=request.upto, seen=seen)
            if request.known is not None:
                ids = q.task_ids(plan_id)
                tasks += read_ids(plan_id, sorted(ids - request.known))
        running = q.running_runs(plan_id)
    status = budget.status(config.budget, at=now)
    _, start, end = budget.day_window(config.budget.timezone, now)
    if request.after_event is None:  # the first read: what is already there is not news
        journal: tuple[q.JournalLine, ...] = ()
        journal_after = q.latest_event_id()
    else:
        journal = q.news_after(request.after_event)
        journal_after = journal[-1].id if journal else request.after_event
    charges = q.premium_charges(start, end)
    return PlanDelta(
        plan_id=plan_id if head is not None else None,
        full=full,
        read_at=read_at,
        head=head,
        waves=waves,
        tasks=tasks,
        task_ids=ids,
        running=running,
        health=q.provider_health(),
        budget=status,
        spend_series=q.spend_series(start, end, SPEND_BUCKETS),
        premium_requests=tuple(sorted(q.premium_requests_by_provider(start, end).items())),
        credits=tuple(sorted(q.credits_by_provider(start, end).items())),
        overruns=q.overrun_events(start, end, limit=20),
        escalations_total=q.count_pending_escalations(),
        burn=forecast(charges, status.spent_usd, status.cap_usd, now, end),
        plan_spend=q.spend_by_plan(start, end),
        in_flight=q.reservations_in_flight(),
        journal=journal,
        journal_after=journal_after,
        more=more,
    )


def read_page(plan_id: int, after: tuple[int, str], limit: int) -> tuple[q.TaskLine, ...]:
    """The next ``limit`` task rows of the plan after ``after`` (a wave number and code)."""
    return q.task_lines(plan_id, after=after, limit=limit)


def read_ids(plan_id: int, ids: list[int]) -> tuple[q.TaskLine, ...]:
    """The task rows of ``ids`` (as many queries as the bound-value limit needs)."""
    out: tuple[q.TaskLine, ...] = ()
    for start in range(0, len(ids), IDS_AT_ONCE):
        out += q.task_lines(plan_id, ids=ids[start : start + IDS_AT_ONCE])
    return out
