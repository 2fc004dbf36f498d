"""The engine's hot statements as fixed SQL text: built once, then only executed.

peewee builds each query's SQL anew (tens to hundreds of microseconds of Python for a
one-row statement), while SQLite keeps prepared statements by their text. A dispatch
sends some thirty one-row statements (run row, status moves, ledger, Thor's verdicts),
so the engine sends those through here: the text for a (table, columns) shape is built
the first time and looked up after, the values converted by the model's own fields
(``db_value``/``python_value``) exactly as peewee converts them, defaults filled like
``Model.create`` fills them. Same statements, same transactions (the caller's), same
rows: only the building is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from convergio_tui.store.models import Base, db

M = TypeVar("M", bound=Base)

_TEXT: dict[tuple[Any, ...], str] = {}  # shape -> SQL text


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table(model: type[Base]) -> str:
    return _quote(model._meta.table_name)


def _field(model: type[Base], name: str) -> Any:
    """The model's field called ``name`` (a foreign key by its field name: ``task``)."""
    return model._meta.fields[name]


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


def _id(model: type[Base]) -> str:
    """The quoted primary key column of ``model``."""
    return _quote(model._meta.primary_key.column_name)


def _column(model: type[Base], name: str) -> str:
    """The quoted column of ``model``'s field ``name``."""
    return _quote(_field(model, name).column_name)


def _filled(model: type[Base], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every field's default that is not given, as peewee fills them."""
    row = dict(values)
    for field in model._meta.sorted_fields:
        if field.name not in row and field.default is not None and not field.primary_key:
            row[field.name] = field.default() if callable(field.default) else field.default
    return row


def _text(key: tuple[Any, ...], build: Callable[[], str]) -> str:
    """The SQL text cached under ``key``, made by ``build()`` the first time."""
    sql = _TEXT.get(key)
    if sql is None:
        sql = _TEXT[key] = build()
    return sql


def insert_row(model: type[Base], /, **values: Any) -> int:
    """``INSERT`` one row of ``model`` as ``Model.create`` would (every field with a
    default gets it when not given); returns the new row's id."""
    row = _filled(model, values)
    names = tuple(row)

    def build() -> str:
        columns = ", ".join(_column(model, n) for n in names)
        return f"INSERT INTO {_table(model)} ({columns}) VALUES ({_placeholders(len(names))})"

    sql = _text(("insert", model, names), build)
    params = [_field(model, n).db_value(row[n]) for n in names]
    return int(db.execute_sql(sql, params).lastrowid)


def insert_rows(model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """``INSERT`` ``rows`` of ``model`` (each with the same fields) in one statement,
    defaults filled as in :func:`insert_row`."""
    if not rows:
        return
    filled = [_filled(model, values) for values in rows]
    names = tuple(filled[0])

    def build() -> str:
        columns = ", ".join(_column(model, n) for n in names)
        one = f"({_placeholders(len(names))})"
        return f"INSERT INTO {_table(model)} ({columns}) VALUES {', '.join([one] * len(filled))}"

    sql = _text(("insert-many", model, names, len(filled)), build)
    fields = [_field(model, n) for n in names]
    params = [f.db_value(row[f.name]) for row in filled for f in fields]
    db.execute_sql(sql, params)


def update_by_id(model: type[Base], row_id: int, /, **values: Any) -> int:
    """``UPDATE`` the ``model`` row ``row_id`` with ``values``; the rows changed (0 or 1)."""
    return update_where_status(model, row_id, None, **values)


def update_where_status(
    model: type[Base], row_id: int, statuses: Iterable[str] | None, /, **values: Any
) -> int:
    """``UPDATE`` the ``model`` row ``row_id`` with ``values`` if its ``status`` is one
    of ``statuses`` (any status for None); the rows changed (0 or 1)."""
    names = tuple(values)
    allowed = None if statuses is None else tuple(statuses)

    def build() -> str:
        sets = ", ".join(f"{_column(model, n)} = ?" for n in names)
        sql = f"UPDATE {_table(model)} SET {sets} WHERE ({_id(model)} = ?)"
        if allowed is not None:
            sql += f" AND ({_column(model, 'status')} IN ({_placeholders(len(allowed))}))"
        return sql

    sql = _text(("update", model, names, None if allowed is None else len(allowed)), build)
    params = [_field(model, n).db_value(values[n]) for n in names]
    params.append(row_id)
    if allowed is not None:
        params.extend(allowed)
    return int(db.execute_sql(sql, params).rowcount)


def select_by_id(model: type[M], row_id: int) -> M | None:
    """The ``model`` row ``row_id`` with every column, as ``Model.get_or_none`` returns it."""
    fields = model._meta.sorted_fields

    def build() -> str:
        columns = ", ".join(_quote(f.column_name) for f in fields)
        return f"SELECT {columns} FROM {_table(model)} WHERE {_id(model)} = ?"

    sql = _text(("select", model), build)
    row = db.execute_sql(sql, (row_id,)).fetchone()
    if row is None:
        return None
    data = {f.name: f.python_value(v) for f, v in zip(fields, row, strict=True)}
    instance = model(__no_default__=1, **data)
    instance._dirty.clear()
    return instance


def _where(model: type[Base], names: tuple[str, ...]) -> str:
    return " AND ".join(f"({_column(model, n)} = ?)" for n in names)


def _params(model: type[Base], equals: dict[str, Any]) -> list[Any]:
    return [_field(model, n).db_value(v) for n, v in equals.items()]


def select_where(
    model: type[Base], columns: Sequence[str], /, **equals: Any
) -> list[tuple[Any, ...]]:
    """The ``columns`` (field names) of the ``model`` rows whose fields equal ``equals``
    (every row without), each value converted by its field, in the table's order."""
    names = tuple(equals)

    def build() -> str:
        shown = ", ".join(_column(model, c) for c in columns)
        sql = f"SELECT {shown} FROM {_table(model)}"
        return sql + f" WHERE {_where(model, names)}" if names else sql

    sql = _text(("select-where", model, tuple(columns), names), build)
    fields = [_field(model, c) for c in columns]
    rows = db.execute_sql(sql, _params(model, equals)).fetchall()
    return [tuple(f.python_value(v) for f, v in zip(fields, row, strict=True)) for row in rows]


def exists(model: type[Base], /, **equals: Any) -> bool:
    """Whether a ``model`` row's fields equal ``equals``."""
    names = tuple(equals)
    sql = _text(
        ("exists", model, names),
        lambda: f"SELECT 1 FROM {_table(model)} WHERE {_where(model, names)} LIMIT 1",
    )
    return db.execute_sql(sql, _params(model, equals)).fetchone() is not None


def delete_where(model: type[Base], /, **equals: Any) -> int:
    """``DELETE`` the ``model`` rows whose fields equal ``equals``; how many."""
    names = tuple(equals)
    sql = _text(
        ("delete", model, names),
        lambda: f"DELETE FROM {_table(model)} WHERE {_where(model, names)}",
    )
    return int(db.execute_sql(sql, _params(model, equals)).rowcount)


def fetch(key: Hashable, build: Callable[[], Any], params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The raw rows of the peewee query ``build()`` returns, its SQL text built once per
    ``key`` and run with ``params`` in place of the values it was built with (the same
    number, in the order of ``query.sql()``'s parameters). For a read on every pass of a
    loop whose shape never changes; values are as SQLite returns them (no conversion)."""

    def text() -> str:
        sql, built = build().sql()
        if len(built) != len(params):
            raise ValueError(f"{key!r}: {len(built)} parameters, {len(params)} given")
        return str(sql)

    sql = _text(("fetch", key), text)
    return list(db.execute_sql(sql, params).fetchall())


__all__ = [
    "delete_where",
    "exists",
    "fetch",
    "insert_row",
    "insert_rows",
    "select_by_id",
    "select_where",
    "update_by_id",
    "update_where_status",
]
