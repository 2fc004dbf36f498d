"""A plan's task rows and ``plan show``'s document, read in plain SQL over one
``sqlite3`` connection (no peewee).

The one implementation of these reads: the dashboard and the commands call them with the
open database's connection (``store.db.sqlite_connection()``), ``convergio plan show``'s
quick path (cli/quick.py) with a read-only connection of its own.
"""

from __future__ import annotations

import json
import sqlite3

# A row of task_lines' query: TaskLine's fields from ``id`` to ``reasons`` (still the
# stored JSON text), in order.
_TaskRow = tuple[int, int, str, str, str, str, str, str | None, str | None, str, int, str | None]


_COLUMNS = (
    "SELECT t.id, w.seq, t.code, t.title, t.type, t.priority, t.privacy, t.provider, t.model,"
    " t.status, t.round, t.route_reasons"
)
# The plan in plan order, no sort: its waves by seq (index wave_plan_id_seq), each wave's
# tasks by code (task_wave_code). A page starts in the wave where the last one ended, at
# the code after its last (codes are unique in a plan): one index seek, whatever the page.
_IN_ORDER = f"{_COLUMNS} FROM wave w JOIN task t ON t.wave_id = w.id WHERE w.plan_id = ?"
_AFTER_IN_ORDER = (
    " AND w.seq >= ? AND t.code >= (CASE WHEN w.seq = ? THEN ? ELSE '' END)"
    " AND NOT (w.seq = ? AND t.code = ?)"
)
# A few tasks picked by id or by change: found through their own indexes, then sorted.
_PICKED = f"{_COLUMNS} FROM task t JOIN wave w ON t.wave_id = w.id WHERE t.plan_id = ?"
_AFTER_PICKED = " AND (w.seq > ? OR (w.seq = ? AND t.code > ?))"
_UPTO_PICKED = " AND (w.seq < ? OR (w.seq = ? AND t.code <= ?))"
# More rows than this: their runs' totals are read for the whole plan (one pass over its
# runs) rather than by id (SQLite bounds the values one statement takes).
TOTALS_BY_ID = 5000
# Tasks whose row changed at or after a time, whose runs started or finished at or after
# it, or that have a live run: one index search each, not a scan of the plan.
TOUCHED = (
    "t.id IN (SELECT id FROM task WHERE updated_at >= ? UNION SELECT task_id FROM run"
    " WHERE started_at >= ? OR finished_at >= ? OR status = 'running')"
)


NO_RUNS: tuple[float, float | None, float | None, bool] = (0.0, None, None, False)


class Reasons(dict[str | None, tuple[str, ...]]):
    """Routing reasons decoded from their stored JSON, each text once: most tasks of a
    plan share theirs."""

    def __call__(self, stored: str | None) -> tuple[str, ...]:
        found = self.get(stored)
        if found is None:
            found = self[stored] = tuple(str(r) for r in json.loads(stored or "[]") or ())
        return found


def task_rows(
    con: sqlite3.Connection,
    plan_id: int,
    where: list[str] | None = None,
    params: list[object] | None = None,
    *,
    after: tuple[int, str] | None = None,
    upto: tuple[int, str] | None = None,
    limit: int | None = None,
) -> tuple[list[_TaskRow], dict[int, tuple[float, float | None, float | None, bool]]]:
    """The plan's task rows in plan order that also match ``where`` (SQL conditions on
    ``t``, the task, and ``w``, its wave, with their ``params``), those after ``after``
    and (with ``where``) up to ``upto`` (each a wave number and a code), at most
    ``limit``, and their runs' totals."""
    values: list[object] = [plan_id, *(params or ())]
    if where:
        sql = " AND ".join([_PICKED, *where])
        if after is not None:
            sql += _AFTER_PICKED
            values += [after[0], after[0], after[1]]
        if upto is not None:
            sql += _UPTO_PICKED
            values += [upto[0], upto[0], upto[1]]
    else:
        sql = _IN_ORDER
        if after is not None:
            sql += _AFTER_IN_ORDER
            values += [after[0], after[0], after[1], after[0], after[1]]
    sql += " ORDER BY w.seq, t.code"
    if limit is not None:
        sql += " LIMIT ?"
        values.append(limit)
    rows: list[_TaskRow] = con.execute(sql, values).fetchall()
    partial = bool(where) or after is not None or limit is not None
    if not partial or len(rows) <= TOTALS_BY_ID:
        return rows, _run_totals(con, plan_id, [r[0] for r in rows] if partial else None)
    every = _run_totals(con, plan_id, None)
    return rows, {r[0]: every[r[0]] for r in rows if r[0] in every}


def _run_totals(
    con: sqlite3.Connection, plan_id: int, task_ids: list[int] | None
) -> dict[int, tuple[float, float | None, float | None, bool]]:
    """Per task: cost, first start, last finish, whether a run is live."""
    totals = (
        "SELECT r.task_id, SUM(r.cost_usd), MIN(r.started_at), MAX(r.finished_at),"
        " SUM(CASE WHEN r.status = 'running' THEN 1 ELSE 0 END) FROM run r"
    )
    if task_ids is None:
        rows = con.execute(
            f"{totals} JOIN task t ON r.task_id = t.id WHERE t.plan_id = ? GROUP BY r.task_id",
            (plan_id,),
        )
    elif not task_ids:
        return {}
    else:
        marks = ",".join("?" * len(task_ids))
        rows = con.execute(f"{totals} WHERE r.task_id IN ({marks}) GROUP BY r.task_id", task_ids)
    return {tid: (float(cost or 0.0), first, last, bool(n)) for tid, cost, first, last, n in rows}


def plan_id_of(con: sqlite3.Connection, ref: str | int) -> int | None:
    """The plan ``ref`` names: its id, or the newest plan with that name; None if none."""
    text = str(ref)
    if text.isdigit():
        row = con.execute("SELECT id FROM plan WHERE id = ?", (int(text),)).fetchone()
    else:
        row = con.execute(
            "SELECT id FROM plan WHERE name = ? ORDER BY id DESC LIMIT 1", (text,)
        ).fetchone()
    return None if row is None else int(row[0])


def plan_document(con: sqlite3.Connection, plan_id: int) -> dict[str, object]:
    """The JSON of ``plan show --json`` (docs/cli.md): the plan, its waves, their tasks."""
    plan = con.execute(
        "SELECT p.id, p.name, j.name, p.status, p.created_at, p.started_at, p.finished_at"
        " FROM plan p JOIN project j ON p.project_id = j.id WHERE p.id = ?",
        (plan_id,),
    ).fetchone()
    if plan is None:
        raise LookupError(f"no plan {plan_id}")
    # Straight from the rows: a TaskLine per task would cost more than the document.
    rows, runs = task_rows(con, plan_id)
    reasons_of = Reasons()
    by_wave: dict[int, list[dict[str, object]]] = {}
    for tid, seq, code, title, type_, prio, privacy, provider, model, status, round_, why in rows:
        by_wave.setdefault(seq, []).append({
            "code": code, "title": title, "type": type_, "priority": prio, "privacy": privacy,
            "provider": provider,
            "executor_agent": provider,  # the key's older name, kept for scripts
            "model": model, "status": status, "round": round_,
            "cost_usd": round(runs.get(tid, NO_RUNS)[0], 6), "reasons": list(reasons_of(why)),
        })  # fmt: skip
    waves = con.execute(
        "SELECT seq, name, status FROM wave WHERE plan_id = ? ORDER BY seq", (plan_id,)
    )
    keys = ("id", "name", "project", "status", "created_at", "started_at", "finished_at")
    return {
        "plan": dict(zip(keys, plan, strict=True)),
        "waves": [
            {"seq": seq, "name": name, "status": status, "tasks": by_wave.get(seq, [])}
            for seq, name, status in waves
        ],
    }
