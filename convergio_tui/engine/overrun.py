"""Runs that cost more than they reserved, and what the ledger learns from real costs.

A CLI without a hard per-run limit (gemini) can pass its reservation; the charge then
records a ``budget.overrun`` event (level warning; data: run, provider, model, reserved,
actual), and the learned p95 of that provider·model's real costs raises its next
reservations above ``max_run_usd`` (engine/reservation.py).
"""

from __future__ import annotations

import peewee as pw

from convergio_tui.engine import reservation
from convergio_tui.store.models import Event, Ledger, Run, Wave, now

# The learned worst case of a provider·model: the p95 of its last LEARN_RUNS premium
# charges of the last LEARN_DAYS days.
LEARN_RUNS = 50
LEARN_DAYS = 30


def learned_p95(at: float | None = None) -> dict[tuple[str, str], float]:
    """The p95 of each provider·model's recent premium charges (see ``LEARN_RUNS``)."""
    since = (now() if at is None else at) - LEARN_DAYS * 86400
    rows = Ledger._meta.database.execute_sql(
        "SELECT provider, model, usd FROM ("
        " SELECT provider, model, usd, ROW_NUMBER() OVER ("
        "  PARTITION BY provider, model ORDER BY id DESC) AS n"
        " FROM ledger WHERE kind = 'charge' AND premium = 1 AND model IS NOT NULL AND ts >= ?"
        ") WHERE n <= ?",
        (since, LEARN_RUNS),
    ).fetchall()
    costs: dict[tuple[str, str], list[float]] = {}
    for provider, model, usd in rows:
        costs.setdefault((provider, model), []).append(float(usd or 0.0))
    learned = {key: reservation.p95(values) for key, values in costs.items()}
    return {key: value for key, value in learned.items() if value is not None}


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
