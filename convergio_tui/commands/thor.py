"""``convergio thor detect [PROJECT]``: the command each of Thor's command gates would run
for a project, and where it comes from (docs/cli.md, docs/thor.md).

Reads the configuration and the project's files; runs nothing, writes nothing. Exit 0;
2 on bad input (an invalid configuration, a PROJECT that is neither a configured project
nor a directory).
"""

from __future__ import annotations

from pathlib import Path

import click

from convergio_tui.commands.common import context, echo, emit_json, fail, json_option
from convergio_tui.config.schema import Config
from convergio_tui.thor.toolchain import (
    GATES,
    EffectiveCommands,
    configured_project_at,
    effective_commands,
)


@click.group()
def thor() -> None:
    """Thor, the validator: what its gates would check."""


def _resolved(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def _enclosing_project(config: Config, start: Path) -> tuple[str | None, Path]:
    """The project the current directory belongs to: the nearest folder, from ``start``
    up, that is a configured project or the top of a git repository; else ``start``."""
    for folder in (start, *start.parents):
        name = configured_project_at(config, folder)
        if name is not None:
            return name, folder
        if (folder / ".git").exists():
            return None, folder
    return None, start


def resolve_target(config: Config, project: str | None) -> tuple[str | None, Path]:
    """(configured project name or None, root) for PROJECT, which is a key of
    ``projects:`` or a directory; without it, the current directory's project. Exits 2
    when PROJECT is neither."""
    if project is None:
        return _enclosing_project(config, _resolved(Path.cwd()))
    if project in config.projects:
        root = _resolved(config.projects[project].path)
        if not root.is_dir():
            fail(f"error: project {project!r}: its path {root} is not a directory", 2)
        return project, root
    candidate = _resolved(project)
    if candidate.is_dir():
        return configured_project_at(config, candidate), candidate
    known = ", ".join(config.projects) or "none configured"
    fail(
        f"error: {project!r} is neither a project in the configuration ({known}) "
        "nor an existing directory",
        2,
    )


def _print(effective: EffectiveCommands, name: str) -> None:
    where = "configured project" if effective.project else "directory, not in projects:"
    echo(f"{name} ({where}): {effective.root}")
    for gate in GATES:
        commands = effective[gate]
        head = f"{gate:<5} gate {commands.number:<2}  "
        if not commands.commands:
            echo(f"{head}none: {commands.why_none()}")
            continue
        for i, command in enumerate(commands.commands):
            lead = head if i == 0 else " " * len(head)
            echo(f"{lead}{command.command}  ({command.origin})")


@thor.command()
@click.argument("project", required=False)
@json_option
def detect(project: str | None, as_json: bool) -> None:
    """Print the commands Thor's lint (2), performance (7), test (8) and build (10) gates
    would run for PROJECT (a configured project or a directory; default: the current
    directory's project), and whether each is configured, switched off or detected."""
    config = context().config
    name, root = resolve_target(config, project)
    effective = effective_commands(config, name, root)
    label = name or root.name
    if as_json:
        emit_json(
            {
                "project": label,
                "configured": name is not None,
                "root": str(root),
                "gates": effective.as_dict(),
            }
        )
        return
    _print(effective, label)
