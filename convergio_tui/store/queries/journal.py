"""The journal (``event`` table) read as news: the warnings and errors written since a
reader last looked, for the dashboard's notifications (``engine/notify``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from convergio_tui.store.models import Event, Task

NEWS_LEVELS = ("warning", "error")
MAX_ROWS = 50  # a burst (a storm of refusals) is read over several polls, not at once


@dataclass(frozen=True)
class JournalLine:
    """One journal row, with the code and title of the task it is about (if any)."""

    id: int
    ts: float
    level: str
    kind: str
    message: str
    plan_id: int | None = None
    task_id: int | None = None
    task_code: str | None = None
    task_title: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def latest_event_id() -> int:
    """The newest journal row's id (0 when the journal is empty)."""
    return int(Event.select(pw.fn.MAX(Event.id)).scalar() or 0)


def news_after(after_id: int, plan_id: int | None = None) -> tuple[JournalLine, ...]:
    """Warnings and errors journaled after ``after_id`` (about ``plan_id`` only, if
    given), oldest first; at most :data:`MAX_ROWS`, the next call goes on from the last."""
    query = (
        Event.select(Event, Task.code.alias("task_code"), Task.title.alias("task_title"))
        .join(Task, pw.JOIN.LEFT_OUTER, on=(Event.task == Task.id))
        .where(Event.id > after_id, Event.level.in_(NEWS_LEVELS))
        .order_by(Event.id)
        .limit(MAX_ROWS)
    )
    if plan_id is not None:
        query = query.where(Event.plan == plan_id)
    return tuple(
        JournalLine(
            id=int(e.id),
            ts=float(e.ts),
            level=str(e.level),
            kind=str(e.kind),
            message=str(e.message),
            plan_id=e.plan_id,
            task_id=e.task_id,
            task_code=e.task_code,
            task_title=e.task_title,
            data=e.data if isinstance(e.data, dict) else {},
        )
        for e in query.objects()
    )
