"""Runs that cost more than they reserved, and what the ledger learns from real costs.

A CLI without a hard per-run limit (gemini) can pass its reservation; the charge then
records a ``budget.overrun`` event (level warning; data: run, provider, model, reserved,
actual), and the learned p95 of that provider·model's real costs
(``engine.budget_status.learned_p95``) raises its next reservations above
``max_run_usd`` (engine/reservation.py).
"""

from __future__ import annotations

import peewee as pw

from convergio_tui.store.models import Event, Run, Wave


def record_overrun(provider: str, model: str, run_id: int, reserved: float, actual: float) -> None:
    """Record a ``budget.overrun`` event (inside the settling transaction)."""
    run = Run.get_or_none(Run.id == run_id)
    task_id = run.task_id if run is not None else None
    plan_id = None
    if run is not None and run.task_id is not None:
        plan_id = run.task.plan_id
    elif run is not None and run.wave_id is not None:
        plan_id = Wave.get_by_id(run.wave_id).plan_id
    Event.create(
        level="warning", kind="budget.overrun", plan=plan_id, task=task_id,
        message=(f"{provider} · {model} run {run_id} cost ${actual:.4f}, over its "
                 f"${reserved:.4f} reservation; this model's next reservations rise to the "
                 "p95 of its real costs"),
        data={"run": run_id, "provider": provider, "model": model,
              "reserved": round(reserved, 6), "actual": round(actual, 6)},
    )  # fmt: skip


def overrun_event(run_id: int) -> Event | None:
    """The ``budget.overrun`` event of ``run_id``, if its charge passed its reservation."""
    return (
        Event.select()
        .where(Event.kind == "budget.overrun", pw.fn.json_extract(Event.data, "$.run") == run_id)
        .first()
    )
