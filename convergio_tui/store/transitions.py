"""Status writes: each one a conditional ``UPDATE ... WHERE status IN (allowed sources)``.

The only place the engine and Thor change a task's, wave's, plan's, run's or
escalation's status (tests/test_states.py checks that no other module does). A move the
state machine (:mod:`convergio_tui.store.states`) does not allow raises
:class:`~convergio_tui.store.states.IllegalTransition` before anything is written; a row
that is no longer in a source status (a person cancelled the task meanwhile) is left
alone and the move reports ``False``/``0``, so the caller's decision never overwrites a
newer one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import peewee as pw

from convergio_tui.store.models import Base, Escalation, Plan, Run, Task, Wave
from convergio_tui.store.statements import update_where_status
from convergio_tui.store.states import Kind, checked_sources

MODELS: dict[Kind, type[Base]] = {
    Kind.TASK: Task, Kind.WAVE: Wave, Kind.PLAN: Plan, Kind.RUN: Run,
    Kind.ESCALATION: Escalation,
}  # fmt: skip
KINDS: dict[type[Base], Kind] = {model: kind for kind, model in MODELS.items()}


def move(
    kind: Kind, to: str, where: pw.Expression, *, frm: Iterable[str] | None = None, **values: Any
) -> int:
    """Move the ``kind`` rows ``where`` selects to ``to`` (with ``values``), those still in
    ``frm`` (default: every status the table allows a move to ``to`` from). Returns the
    number of rows moved; raises ``IllegalTransition`` if ``frm`` names a status that may
    not move to ``to``."""
    allowed = checked_sources(kind, to, frm)
    if not allowed:
        return 0
    model: Any = MODELS[kind]
    query = model.update(status=str(to), **values).where(where, model.status.in_(sorted(allowed)))
    return int(query.execute())


def _move_one(kind: Kind, row_id: int, to: str, frm: Iterable[str] | None,
              values: dict[str, Any]) -> bool:  # fmt: skip
    """Move one row by id (see :func:`move`); True if it moved. The statement's text is
    built once per shape (store/statements.py): these moves are on every dispatch."""
    allowed = checked_sources(kind, to, frm)
    if not allowed:
        return False
    model = MODELS[kind]
    if any(isinstance(v, pw.Node) for v in values.values()):  # an expression: peewee's
        return move(kind, to, model._meta.primary_key == row_id, frm=allowed, **values) == 1
    return update_where_status(model, row_id, sorted(allowed), status=str(to), **values) == 1


def move_task(task_id: int, to: str, *, frm: Iterable[str] | None = None, **values: Any) -> bool:
    """Move one task (see :func:`move`); True if it moved."""
    return _move_one(Kind.TASK, task_id, to, frm, values)


def move_wave(wave_id: int, to: str, *, frm: Iterable[str] | None = None, **values: Any) -> bool:
    """Move one wave (see :func:`move`); True if it moved."""
    return _move_one(Kind.WAVE, wave_id, to, frm, values)


def move_plan(plan_id: int, to: str, *, frm: Iterable[str] | None = None, **values: Any) -> bool:
    """Move one plan (see :func:`move`); True if it moved."""
    return _move_one(Kind.PLAN, plan_id, to, frm, values)


def move_run(run_id: int, to: str, *, frm: Iterable[str] | None = None, **values: Any) -> bool:
    """Move one run (see :func:`move`); True if it moved."""
    return _move_one(Kind.RUN, run_id, to, frm, values)


def move_row(row: Base, to: str, *, frm: Iterable[str] | None = None, **values: Any) -> bool:
    """Move the row ``row`` was read from (see :func:`move`) and, if it moved, mirror the
    new status and ``values`` onto ``row`` so a caller holding it sees what was written."""
    moved = _move_one(KINDS[type(row)], row.get_id(), to, frm, values)
    if moved:
        for name, value in {"status": str(to), **values}.items():
            setattr(row, name, value)
    return moved


def current(kind: Kind, row_id: int) -> str | None:
    """The row's status now, or None when there is no such row."""
    model: Any = MODELS[kind]
    value = model.select(model.status).where(model.id == row_id).scalar()
    return None if value is None else str(value)
