"""The ``convergio`` click group: options, lazy subcommands, exit codes (docs/cli.md).

Subcommands live in ``convergio_tui/commands/`` and are imported only when invoked, so
no command pays for another's imports and none imports Textual but the dashboard's.
"""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import click

from convergio_tui import __version__
from convergio_tui.cli.catalog import COMMANDS
from convergio_tui.cli.context import CliContext


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when it runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(f"convergio_tui.commands.{spec[0]}")
        command: click.Command = getattr(module, spec[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List subcommands from :data:`COMMANDS` without importing their modules."""
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", metavar="FILE", help="Configuration file.")
@click.option("--db", "db_file", metavar="FILE", help="SQLite database file.")
@click.version_option(__version__, prog_name="convergio")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, db_file: str | None) -> None:
    """Convergio: plan, route, run and validate work across AI coding CLIs."""
    ctx.obj = CliContext(config_file, db_file)


def _db_hint() -> str:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    if isinstance(obj, CliContext):
        return str(obj.db_path)
    # Outside click's context (the command has ended): the file this process opened.
    from convergio_tui.store.db import database_file

    return str(database_file() or "(unknown path)")


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the console script; maps input errors to exit code 2."""
    try:
        rv = cli.main(args=argv, prog_name="convergio", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except Exception as exc:
        sys.exit(_exit_code_for(exc))
    # Without standalone mode click returns ctx.exit()'s code instead of exiting.
    sys.exit(rv if isinstance(rv, int) else 0)


def _exit_code_for(exc: Exception) -> int:
    """Report known failures clearly (imports are lazy to keep ``--help`` fast).

    Storage faults (a locked, full, damaged or foreign database, a full disk) end with one
    line naming the file and what to do: exit 1 when running again once the condition
    clears resumes, 2 when the file cannot be used as it is (docs/storage.md).
    """
    from convergio_tui.config.errors import InputError
    from convergio_tui.store.db import DatabaseUnavailable
    from convergio_tui.store.faults import storage_fault
    from convergio_tui.store.migrations import SchemaTooNew
    from convergio_tui.textsafe import one_line, printable

    # Messages quote the input (a plan spec's values): no escape sequence may reach the terminal.
    if isinstance(exc, InputError | SchemaTooNew | DatabaseUnavailable):
        click.echo(printable(f"error: {exc}"), err=True)
        return 2
    fault = storage_fault(exc, _db_hint())
    if fault is not None:
        click.echo(one_line(f"error: {fault}"), err=True)
        return fault.exit_code
    import peewee

    if isinstance(exc, peewee.OperationalError):
        # Any other refusal of SQLite's is still about the environment, not a bug: say so.
        click.echo(one_line(f"error: database {_db_hint()}: {exc}"), err=True)
        return 1
    raise exc
