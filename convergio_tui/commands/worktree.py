"""``convergio worktree check PATH``: the worktree safety pre-flight (docs/cli.md).

Exit 0 when every check passes, 1 when one fails, 2 on bad input.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from convergio_tui.commands.common import echo
from convergio_tui.tools.worktree_check import check_worktree


@click.group()
def worktree() -> None:
    """Worktree safety pre-flight."""


@worktree.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--protected-branch", default="main", show_default=True)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Allowed root (default: execution.worktree_root, else $CONVERGIO_HOME/worktrees).",
)
@click.option("--max-behind", type=click.IntRange(min=0), help="Default: execution.max_behind.")
@click.option("--base", "base_ref", help="Base ref (default: the protected branch).")
@click.option("--allow", "allowed", multiple=True, help="A path or glob the task may change.")
@click.option("--busy", multiple=True, type=click.Path(path_type=Path), help="Held elsewhere.")
@click.pass_context
def check(
    ctx: click.Context,
    path: Path,
    as_json: bool,
    protected_branch: str,
    root: Path | None,
    max_behind: int | None,
    base_ref: str | None,
    allowed: tuple[str, ...],
    busy: tuple[Path, ...],
) -> None:
    """Check that PATH is a safe worktree for a task; exit 1 when it is not."""
    if root is None or max_behind is None:
        # Only read the configuration for what the command line left out.
        execution = ctx.obj.config.execution
        if root is None and execution.worktree_root:
            root = Path(execution.worktree_root).expanduser()
        if max_behind is None:
            max_behind = execution.max_behind
    report = check_worktree(
        path,
        protected_branch=protected_branch,
        allowed_root=root,
        max_behind=max_behind,
        base_ref=base_ref,
        allowed_paths=allowed,
        busy_paths=busy,
    )
    if as_json:
        echo(json.dumps(report.as_dict()))
    else:
        for item in report.checks:
            mark = "ok  " if item.ok else "FAIL"
            echo(f"{mark} {item.name:<16} {item.detail}")
        echo("worktree is safe" if report.ok else "worktree refused")
    # SystemExit, not ctx.exit: click returns (not raises) Exit codes outside standalone mode.
    raise SystemExit(0 if report.ok else 1)
