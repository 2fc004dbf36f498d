"""Write gate verdicts into ``gate_result`` (one row per gate per round)."""

from __future__ import annotations

from collections.abc import Callable

from convergio_tui.store.db import immediate
from convergio_tui.store.models import GateResult
from convergio_tui.store.statements import delete_where, insert_rows
from convergio_tui.thor.outcome import GateOutcome
from convergio_tui.thor.secrets import sanitize


def record_task_gates(
    task_id: int,
    run_id: int | None,
    round_no: int,
    outcomes: list[GateOutcome],
    redact: Callable[[str], str] | None = None,
    *,
    masked: bool = False,
) -> None:
    """Replace the task's verdicts for ``round_no`` (a re-review must not keep stale fails).

    Evidence is masked here too (``redact``: the project's vault values): callers
    outside the gates may record verdicts. ``masked``: the outcomes come from
    ``review.run_gates``, which masked each one's evidence with the same ``redact``, so
    they are stored as they are (scanning them again would change nothing).
    """
    with immediate():
        delete_where(GateResult, task=task_id, round=round_no)
        rows = [
            {"task": task_id, "run": run_id, "round": round_no, "gate": o.gate, "name": o.name,
             "verdict": o.verdict,
             "evidence": o.evidence if masked else sanitize(o.evidence, redact)}
            for o in outcomes
        ]  # fmt: skip
        insert_rows(GateResult, rows)  # one statement for the round's gates


def next_wave_round(wave_id: int) -> int:
    """1 + the highest round of the wave's earlier reviews."""
    from peewee import fn

    last = (
        GateResult.select(fn.MAX(GateResult.round))
        .where((GateResult.wave == wave_id) & GateResult.task.is_null())
        .scalar()
    )
    return int(last or 0) + 1


def record_wave_gates(
    wave_id: int,
    round_no: int,
    outcomes: list[GateOutcome],
    redact: Callable[[str], str] | None = None,
) -> None:
    """Store one wave review's verdicts (``task`` is NULL for wave-level rows)."""
    with immediate():
        for o in outcomes:
            GateResult.create(
                wave=wave_id, round=round_no, gate=o.gate, name=o.name,
                verdict=o.verdict, evidence=sanitize(o.evidence, redact),
            )  # fmt: skip
