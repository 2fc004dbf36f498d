"""``convergio --help`` and ``--version`` without importing click.

These two answers are static, so they are written here from :mod:`.catalog` with click's
layout (usage, description, options, commands, at the width click would use). When click
would wrap a line, :func:`answer` declines and click writes the page instead; the tests
compare both pages. Imports nothing beyond ``os`` and ``sys``, which Python has loaded.
"""

from __future__ import annotations

import os
import sys

from convergio_tui import __version__
from convergio_tui.cli.catalog import COMMANDS, DESCRIPTION, OPTIONS, PROG

HELP = ("-h", "--help")
_COL_MAX, _COL_SPACING, _INDENT = 30, 2, 2


def _columns() -> int:
    """The terminal width as ``shutil.get_terminal_size()`` reports it (click's source)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _definitions(rows: list[tuple[str, str]], width: int) -> list[str] | None:
    """Rows as click's ``write_dl`` lays them out, or None where it would wrap."""
    first_col = min(max(len(term) for term, _ in rows), _COL_MAX) + _COL_SPACING
    text_width = max(width - first_col - 2, 10)
    lines = []
    for term, text in rows:
        if len(term) > first_col - _COL_SPACING or len(text) > text_width:
            return None
        lines.append(f"{'':>{_INDENT}}{term}{' ' * (first_col - len(term))}{text}")
    return lines


def help_page(width: int) -> str | None:
    """The group's help page at ``width`` columns, or None when click would wrap a line."""
    usage = f"Usage: {PROG} [OPTIONS] COMMAND [ARGS]..."
    if len(usage) > width or _INDENT + len(DESCRIPTION) > width:
        return None
    options = _definitions(list(OPTIONS), width)
    commands = _definitions([(name, COMMANDS[name][2]) for name in sorted(COMMANDS)], width)
    if options is None or commands is None:
        return None
    parts = [usage, "", f"{'':>{_INDENT}}{DESCRIPTION}", "", "Options:", *options, "",
             "Commands:", *commands]  # fmt: skip
    return "\n".join(parts) + "\n"


def answer(args: list[str]) -> str | None:
    """What ``convergio ARGS`` prints when it is only ``--help``/``-h`` or ``--version``;
    None for anything else (click runs it)."""
    if args == ["--version"]:
        return f"{PROG}, version {__version__}\n"
    if len(args) == 1 and args[0] in HELP:
        # click's width: the terminal's, at most 80, less 2, at least 50.
        return help_page(max(min(_columns(), 80) - 2, 50))
    return None
