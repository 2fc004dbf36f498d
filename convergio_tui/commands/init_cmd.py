"""``convergio init [DIR]``."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from convergio_tui import paths
from convergio_tui.commands.common import context, echo


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Write orchestrator.yaml into DIRECTORY unless present, and create the database."""
    ctx = context()
    ctx.open_db()  # first: a database refused (another application's...) writes no config
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "orchestrator.yaml"
    if target.exists():
        echo(f"{target} exists; left unchanged")
    else:
        shutil.copyfile(paths.shipped_config_path(), target)
        echo(f"wrote {target}")
    echo(f"database ready at {ctx.db_path}")
