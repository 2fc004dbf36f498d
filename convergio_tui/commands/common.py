"""Helpers shared by subcommands: JSON output, context access, exits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import click

from convergio_tui.cli.output import json_text
from convergio_tui.textsafe import printable

if TYPE_CHECKING:
    from convergio_tui.cli.group import CliContext


def context() -> CliContext:
    """The current invocation's :class:`CliContext`."""
    return click.get_current_context().find_root().obj  # type: ignore[no-any-return]


def emit_json(document: Any) -> None:
    """Print one JSON document on stdout (and nothing else), as every ``--json`` does."""
    click.echo(json_text(document), nl=False)


def echo(text: object = "", *, err: bool = False) -> None:
    """Print ``text`` on stdout (stderr with ``err``) with terminal controls neutralised.

    Every line of human-readable output goes through here: titles, evidence and agent
    errors may hold escape sequences that would otherwise drive the terminal.
    """
    click.echo(printable(str(text)), err=err)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    echo(message, err=True)
    raise click.exceptions.Exit(code)


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
