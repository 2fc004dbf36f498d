"""Budget overruns: ``budget.overrun`` events, runs that cost more than they reserved."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from convergio_tui.store.models import Event, Task


@dataclass(frozen=True)
class OverrunLine:
    """A run that cost more than it reserved (a CLI without a hard per-run limit)."""

    event_id: int
    ts: float
    plan_id: int | None
    task_id: int | None
    task_code: str | None
    run_id: int | None
    provider: str
    model: str
    reserved_usd: float
    actual_usd: float
    message: str


def overrun_events(
    start: float, end: float, plan_id: int | None = None, limit: int = 100
) -> tuple[OverrunLine, ...]:
    """``budget.overrun`` events in ``[start, end)``, newest first (one plan's, if given)."""
    query = (
        Event.select(Event, Task.code.alias("task_code"))
        .join(Task, pw.JOIN.LEFT_OUTER, on=(Event.task == Task.id))
        .where(Event.kind == "budget.overrun", Event.ts >= start, Event.ts < end)
        .order_by(Event.id.desc())
        .limit(limit)
    )
    if plan_id is not None:
        query = query.where(Event.plan == plan_id)
    lines = []
    for event in query.objects():
        data = event.data if isinstance(event.data, dict) else {}
        lines.append(
            OverrunLine(
                event_id=event.id,
                ts=event.ts,
                plan_id=event.plan_id,
                task_id=event.task_id,
                task_code=event.task_code,
                run_id=_int(data.get("run")),
                provider=str(data.get("provider", "")),
                model=str(data.get("model", "")),
                reserved_usd=_float(data.get("reserved")),
                actual_usd=_float(data.get("actual")),
                message=event.message,
            )
        )
    return tuple(lines)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
