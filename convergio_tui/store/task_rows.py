"""A plan's task rows as the dashboard and the task commands read them (:class:`TaskLine`),
from the plain-SQL reads of store/plan_sql.py. Kept apart from them so ``plan show``'s
quick path, which needs no TaskLine, does not import ``dataclasses``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

from convergio_tui.store.db import sqlite_connection
from convergio_tui.store.plan_sql import NO_RUNS, TOUCHED, Reasons, task_rows


# Slots: the dashboard keeps one of these per task of the plan (50,000 and more).
@dataclass(frozen=True, slots=True)
class TaskLine:
    """One task of a plan: a row of the dashboard's task table (``plan show`` reads the same
    rows, store/plan_sql.py)."""

    id: int
    wave_seq: int
    code: str
    title: str
    type: str
    priority: str
    privacy: str
    provider: str | None
    model: str | None
    status: str
    round: int
    reasons: tuple[str, ...]  # why the router chose the provider, in order
    cost_usd: float
    started_at: float | None  # first run's start
    finished_at: float | None  # last run's end, None while a run is live
    running: bool


class SeenRows(dict[int, tuple[object, ...]]):
    """The rows (and their runs' totals) the last read of changed rows returned, by task:
    the next such read leaves out those it would return again unchanged. A watermark
    re-reads a few seconds back (a slow writer's commit), and a plan imported a moment
    ago is all within them: without this, every read in those seconds brought every row.

    Only for a reader whose every result was shown in full: clear it when one was not."""


def task_lines(
    plan_id: int,
    since: float | None = None,
    ids: Iterable[int] | None = None,
    *,
    after: tuple[int, str] | None = None,
    upto: tuple[int, str] | None = None,
    limit: int | None = None,
    seen: SeenRows | None = None,
) -> tuple[TaskLine, ...]:
    """Task rows of ``plan_id`` in wave and code order (the plan order).

    With ``since``, only tasks whose row changed at or after it, whose runs started or
    finished at or after it, or that have a live run (their elapsed time moves). With
    ``ids``, only those tasks. ``after`` (a wave number and a code) and ``limit`` read the
    plan a page at a time: the rows that come after that place, at most ``limit`` of them.
    ``upto`` (with ``since`` or ``ids``): only the rows up to that place. ``seen`` (with
    ``since``): leave out the rows it holds as they are now, and hold this read's.
    Read through the open database's connection.
    """
    where: list[str] = []
    params: list[object] = []
    if since is not None:
        where.append(TOUCHED)
        params += [since, since, since]
    if ids is not None:
        id_list = list(ids)
        where.append(f"t.id IN ({','.join('?' * len(id_list))})")
        params += id_list
    rows, runs = task_rows(sqlite_connection(), plan_id, where, params, after=after, upto=upto,
                           limit=limit)  # fmt: skip
    reasons_of = Reasons()
    out = []
    if seen is not None:
        before = dict(seen)
        seen.clear()
    for row in rows:
        totals = runs.get(row[0], NO_RUNS)
        if seen is not None:
            held = seen[row[0]] = (row, totals)
            if before.get(row[0]) == held:
                continue
        cost, first, last, live = totals
        tid, seq, code, title, type_, priority, privacy, provider, model, status, round_, _ = row
        # Type, priority, privacy, provider, model and status take a few values: one
        # string of each (interned) instead of one per task.
        out.append(TaskLine(tid, seq, code, title, _one(type_), _one(priority),
                            _one(privacy), _maybe(provider), _maybe(model), _one(status),
                            round_, reasons_of(row[11]), cost, first, None if live else last,
                            live))  # fmt: skip
    return tuple(out)


def _one(value: str) -> str:
    return sys.intern(value)


def _maybe(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)
