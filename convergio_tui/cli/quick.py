"""The everyday read-only commands without click, peewee or pydantic.

``convergio budget``, ``health``, ``route`` and ``plan show`` are run many times a day, from scripts and
status bars; importing click, peewee and pydantic cost several times their own work. When
the command line is one of these in a plain form, and what it reads is ready (the
configuration in its cache, the database at the current schema, every provider's health
check still fresh), :func:`answer` runs it here, through the same report
(cli/reports/) the click command prints. Anything else, and any error at all, declines:
the click command runs as if this module did not exist, and says what is wrong the
way it always does. Nothing here writes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from convergio_tui.cli.context import CliContext
from convergio_tui.cli.output import write

# Options taking a value, of the group (before the command) and of `route`.
_GLOBAL = {"--config": "config", "--db": "db"}
_ROUTE_VALUES = {"--type": "task_type", "--priority": "priority", "--privacy": "privacy",
                 "--spent": "spent", "--down": "down", "--project": "project",
                 "--provider": "provider", "--agent": "provider", "--model": "model",
                 "--prompt-chars": "prompt_chars"}  # fmt: skip


class Decline(Exception):
    """Not for the quick path: the click command runs instead."""


def answer(args: list[str]) -> int | None:
    """Run ``convergio ARGS`` here when it is a quick command that can; its exit code,
    or None when the click command must run it (nothing was printed)."""
    try:
        values, rest = _options(args, _GLOBAL, stop_at_word=True)
        run = _COMMANDS.get(rest[0]) if rest and "json" not in values else None
        if run is None:
            return None
        ctx = CliContext(_last(values, "config"), _last(values, "db"))
        text = run(ctx, rest[1:])
    except Exception:  # any problem at all: the click command says it properly
        return None
    write(text)
    return 0


def _options(
    args: list[str], known: dict[str, str], *, stop_at_word: bool = False
) -> tuple[dict[str, list[str]], list[str]]:
    """The values of the ``known`` options in ``args`` (``--name value``, ``--name=value``;
    the flag ``--json`` as ``json``), each in the order given, and the words left after
    them (the first word ends the options with ``stop_at_word``); raises
    :class:`Decline` on anything else."""
    values: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--"):
            if stop_at_word:
                break
            raise Decline(token)
        name, eq, value = token.partition("=")
        if name == "--json" and not eq and "--json" not in known:
            values.setdefault("json", []).append("")
            i += 1
            continue
        if name not in known:
            raise Decline(name)
        if not eq:
            if i + 1 >= len(args):
                raise Decline(name)
            i += 1
            value = args[i]
        values.setdefault(known[name], []).append(value)
        i += 1
    return values, args[i:]


def _last(values: dict[str, list[str]], key: str) -> str | None:
    """The value of an option given once or more (click keeps the last), or None."""
    given = values.get(key)
    return given[-1] if given else None


def _json_only(args: list[str]) -> bool:
    """Whether ``args`` is nothing or ``--json`` (the only option the quick path takes)."""
    if args not in ([], ["--json"]):
        raise Decline(args)
    return bool(args)


@contextmanager
def _reading(ctx: CliContext) -> Iterator[sqlite3.Connection]:
    """The database, read-only, in one read transaction (declines when the full path
    must open it: no file yet, another schema, another application's)."""
    from convergio_tui.store.read_only import open_read_only, snapshot

    con = open_read_only(ctx.db_path)
    if con is None:
        raise Decline("database")
    try:
        with snapshot(con):
            yield con
    finally:
        con.close()


def _budget(ctx: CliContext, args: list[str]) -> str:
    as_json = _json_only(args)
    from convergio_tui.cli.reports.budget import budget_report

    config = ctx.config
    with _reading(ctx) as con:
        return budget_report(con, config.budget, time.time(), as_json)


def _health(ctx: CliContext, args: list[str]) -> str:
    as_json = _json_only(args)
    from convergio_tui.cli.reports.health import health_report, sandbox_reason
    from convergio_tui.engine.health_document import document_of, is_due
    from convergio_tui.store.health_sql import health_rows

    config = ctx.config
    if config.execution.backend != "local":
        raise Decline("cluster")  # the nodes are asked over Ray
    with _reading(ctx) as con:
        rows = health_rows(con)
    at = time.time()
    if any(is_due(rows.get(name), config.health.ttl_s, at) for name in config.enabled_providers()):
        raise Decline("a check is due")  # the full command runs the checks
    reason = None if as_json else sandbox_reason(config.sandbox.mode)
    return health_report(document_of(config, rows, at), as_json, config.sandbox.mode, reason)


def _route(ctx: CliContext, args: list[str]) -> str:
    from convergio_tui.cli.reports.route import RouteQuery, route_report
    from convergio_tui.config.schema import PRIORITIES, PRIVACY_LEVELS, TASK_TYPES

    values, rest = _options(args, _ROUTE_VALUES)
    if rest:
        raise Decline(rest)
    choices = {"task_type": TASK_TYPES, "priority": PRIORITIES, "privacy": PRIVACY_LEVELS}
    for key, allowed in choices.items():
        if key in values and values[key][-1] not in allowed:
            raise Decline(key)  # click lists the choices
    task_type = _last(values, "task_type")
    if task_type is None:
        raise Decline("--type")  # required: click says so
    query = RouteQuery(
        task_type,
        _last(values, "priority") or "P1",
        _last(values, "privacy") or "internal",
        float(_last(values, "spent") or 0.0),
        tuple(values.get("down", ())),
        _last(values, "project"),
        _last(values, "provider"),
        _last(values, "model"),
        int(_last(values, "prompt_chars") or 0),
    )
    return route_report(ctx.config, query, "json" in values)


def _plan(ctx: CliContext, args: list[str]) -> str:
    # `plan show PLAN [--json]`, the plan named before or after the option.
    words = [a for a in args if a != "--json"]
    if len(words) != 2 or words[0] != "show" or args[0] != "show" or words[1].startswith("-"):
        raise Decline(args)
    if len(args) - len(words) > 1:
        raise Decline(args)
    from convergio_tui.cli.reports.plan_show import plan_show_report
    from convergio_tui.store.plan_sql import plan_document, plan_id_of

    with _reading(ctx) as con:
        plan_id = plan_id_of(con, words[1])
        if plan_id is None:
            raise Decline("no such plan")  # click says so, exit 2
        doc = plan_document(con, plan_id)
    return plan_show_report(doc, "--json" in args)


_COMMANDS: dict[str, Callable[[CliContext, list[str]], str]] = {
    "budget": _budget,
    "health": _health,
    "route": _route,
    "plan": _plan,
}
