"""The ``convergio`` command line (docs/cli.md is the contract).

This module is what the console script imports, so it imports nothing heavy:
``convergio --help`` and ``--version`` are answered by :mod:`.fast_help` without click;
``budget``, ``health``, ``route`` and ``plan show`` in their plain forms by :mod:`.quick`, without click,
peewee or pydantic, when what they read is ready; every other invocation runs the click
group of :mod:`.group`, whose subcommands (in ``convergio_tui/commands/``) are imported
only when invoked.
"""

from __future__ import annotations

import sys

from convergio_tui.cli.catalog import COMMANDS

# typing costs an import at start-up; mypy treats this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

__all__ = ["COMMANDS", "main"]


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the console script; maps input errors to exit code 2."""
    from convergio_tui.cli.fast_help import answer

    args = sys.argv[1:] if argv is None else list(argv)
    text = answer(args)
    if text is not None:
        sys.stdout.write(text)
        sys.stdout.flush()
        sys.exit(0)
    from convergio_tui.cli.quick import answer as quick

    code = quick(args)
    if code is not None:
        sys.exit(code)
    from convergio_tui.cli.group import main as run

    run(argv)


def __getattr__(name: str) -> Any:
    """``cli``, ``CliContext`` and ``LazyGroup`` as before the package split (imported on
    first use, so importing this package stays cheap)."""
    if name in ("cli", "CliContext", "LazyGroup"):
        from convergio_tui.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
