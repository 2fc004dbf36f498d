"""The engine's fixed-text statements (store/statements.py) write and read exactly what
peewee's queries do: the same rows, defaults, conversions and conditional moves."""

from __future__ import annotations

from pathlib import Path

from engine_fixtures import engine_config, import_spec, task

from convergio_tui.store import statements as st
from convergio_tui.store.models import GateResult, Ledger, Run, Task, db
from convergio_tui.store.states import TaskStatus
from convergio_tui.store.transitions import move_row, move_task


def _row(model: type, row_id: int) -> dict[str, object]:
    found = model.select().where(model.id == row_id).dicts().get()
    return {k: v for k, v in found.items() if k not in ("id", "started_at", "ts", "created_at")}


def test_an_inserted_row_is_the_one_model_create_writes(engine_db: Path) -> None:
    values = {"provider": "opencode", "model": "m", "round": 2, "route_reasons": ["a", "b"]}
    made = Run.create(**values).id
    inserted = st.insert_row(Run, **values)
    assert inserted == made + 1
    assert _row(Run, inserted) == _row(Run, made)  # defaults and the JSON column alike
    charge = {"provider": "p", "model": "m", "run": made, "kind": "charge", "usd": 0.5,
              "premium": True, "note": None}  # fmt: skip
    assert _row(Ledger, st.insert_row(Ledger, **charge)) == _row(Ledger, Ledger.create(**charge).id)
    assert st.exists(Ledger, run=made, kind="charge") and not st.exists(Ledger, run=9, kind="x")


def test_reads_updates_and_deletes(
    repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    import_spec(config, tmp_path, [[task("A", "x", depends_on=[]), task("B", "x")]])
    a = Task.get(Task.code == "A")
    read = st.select_by_id(Task, a.id)
    assert read is not None and read.__data__ == Task.get_or_none(Task.id == a.id).__data__
    assert not read.is_dirty() and st.select_by_id(Task, 10**6) is None

    assert st.update_by_id(Task, a.id, route_reasons=["r"], blocked_reason=None) == 1
    assert Task.get_by_id(a.id).route_reasons == ["r"]
    assert st.update_where_status(Task, a.id, ["running"], title="no") == 0  # not running
    assert move_task(a.id, TaskStatus.QUEUED, frm=[a.status], provider="opencode")
    assert Task.get_by_id(a.id).status == "queued" and Task.get_by_id(a.id).provider == "opencode"
    assert not move_task(a.id, TaskStatus.RUNNING, frm=[TaskStatus.BLOCKED])  # not blocked
    b = Task.get(Task.code == "B")
    assert move_row(b, TaskStatus.QUEUED, frm=[b.status], round=Task.round + 1)  # expression
    assert Task.get_by_id(b.id).round == 2

    rows = [{"task": a.id, "round": 1, "gate": g, "name": f"g{g}", "verdict": "pass"}
            for g in (1, 2, 3)]  # fmt: skip
    st.insert_rows(GateResult, rows)
    assert st.select_where(GateResult, ("gate", "evidence"), task=a.id, round=1) == [
        (1, ""), (2, ""), (3, "")]  # fmt: skip
    assert st.delete_where(GateResult, task=a.id, round=1) == 3
    assert GateResult.select().count() == 0

    # fetch: a peewee query's text once, run again with other values.
    def build() -> object:
        return Task.select(Task.code).where(Task.id == 0).order_by(Task.code)

    assert st.fetch("test.code", build, (a.id,)) == [("A",)]
    assert st.fetch("test.code", build, (b.id,)) == [("B",)]
    assert db.execute_sql("SELECT 1").fetchone() == (1,)
