"""``convergio harden [PATH]``: scan for credentials and personal data (docs/cli.md).

Exit 0 when nothing is found (or ``--fix`` fixed everything), 1 when findings remain,
2 on bad input. Findings judged to be documentation or test examples (verdict.py) are
skipped: listed in JSON with their reason, counted in text, never fixed, and they do
not make the exit code 1.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from convergio_tui.commands.common import echo
from convergio_tui.tools.harden import ROTATE_REMINDER, fix_findings, scan_paths
from convergio_tui.tools.harden.report import to_json, to_sarif, to_text
from convergio_tui.tools.vault import KEY_ENV, Vault, VaultError, validate_project


@click.command()
@click.argument("path", required=False, default=".", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--fix", is_flag=True, help="Replace values with placeholders / ${ENV} refs.")
@click.option("--to-vault", "project", metavar="PROJECT", help="With --fix: store values first.")
@click.option("--all-files", is_flag=True, help="Scan untracked files too (walk the tree).")
@click.option(
    "--allow-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Allow-list file (default: PATH/.convergio-allow).",
)
@click.option("--workers", type=click.IntRange(min=1), help="Processes (default: CPU count).")
@click.option(
    "--show-skipped",
    is_flag=True,
    help="Also list findings skipped as documentation or test examples (text, SARIF).",
)
def harden(
    path: Path,
    fmt: str,
    as_json: bool,
    fix: bool,
    project: str | None,
    all_files: bool,
    allow_file: Path | None,
    workers: int | None,
    show_skipped: bool,
) -> None:
    """Scan PATH (default: the git-tracked files of .) for secrets and personal data."""
    if project and not fix:
        raise click.UsageError("--to-vault needs --fix")
    fmt = "json" if as_json else fmt
    vault = None
    if project:
        try:
            validate_project(project)
        except VaultError as exc:
            raise click.UsageError(str(exc)) from None
        if not os.environ.get(KEY_ENV):
            raise click.UsageError(f"--to-vault needs {KEY_ENV} (see 'convergio vault keygen')")
        vault = Vault()
    report = scan_paths(path, tracked_only=not all_files, workers=workers, allow_file=allow_file)
    if fmt == "json":
        echo(to_json(report))
    elif fmt == "sarif":
        echo(to_sarif(report, show_skipped=show_skipped))
    else:
        echo(to_text(report, show_skipped=show_skipped))
    kept = report.kept
    if not fix or not kept:
        raise SystemExit(1 if kept else 0)
    root = path if path.is_dir() else Path(".")
    try:
        fixed = fix_findings(root, kept, vault=vault, project=project)
    except (VaultError, OSError) as exc:  # nothing was rewritten when the vault fails
        echo(f"error: fix stopped: {exc}", err=True)
        raise SystemExit(2) from None
    # Human notes go to stderr so --format json/sarif stays one document on stdout.
    echo(f"fixed {len(fixed.fixed)} finding(s) in {len(fixed.files)} file(s)", err=True)
    if fixed.backup_dir:
        echo(f"originals backed up under {fixed.backup_dir}", err=True)
    if fixed.stored:
        names = ", ".join(sorted(fixed.stored))
        echo(f"stored in the vault of {project}: {names}", err=True)
    if fixed.skipped:
        echo(f"{len(fixed.skipped)} finding(s) not fixed (file changed)", err=True)
    if any(f.category == "credential" for f in fixed.fixed):
        echo(ROTATE_REMINDER, err=True)
    raise SystemExit(1 if fixed.skipped else 0)
