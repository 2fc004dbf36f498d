"""``harden --fix``: replace found values with placeholders or environment references.

Credentials become ``${NAME}`` (an environment reference that shells, compose files
and most config loaders expand, and that the scanner treats as a placeholder); the
name comes from the assignment (``db_password = ...`` → ``DB_PASSWORD``) or from the
rule (``GITHUB_TOKEN``). Personal data becomes ``<redacted-KIND>``. With a vault and a
project, each credential is stored in the vault *before* its file is rewritten. The
original files are copied (mode 0600) under ``$CONVERGIO_HOME/backups`` — never into
the repository, where the backup would leak the values again.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from convergio_tui import paths
from convergio_tui.tools.harden.engine import Finding

if TYPE_CHECKING:
    from convergio_tui.tools.vault import Vault

ROTATE_REMINDER = (
    "Rotate every credential that was fixed: the old values stay in git history "
    "until it is rewritten, and anyone with a clone still has them."
)


@dataclass
class FixReport:
    """What ``fix_findings`` changed."""

    fixed: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)
    stored: dict[str, str] = field(default_factory=dict)  # env name -> rule id
    backup_dir: Path | None = None
    files: list[str] = field(default_factory=list)


def env_name(finding: Finding) -> str:
    """The environment variable name a credential is replaced with."""
    base = finding.name or finding.env
    base = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", base.split(".")[-1])  # camelCase
    base = re.sub(r"[^A-Za-z0-9]+", "_", base).strip("_").upper()
    return ("_" + base if base[:1].isdigit() else base) or "SECRET"


def _unique_names(findings: Sequence[Finding]) -> dict[str, str]:
    """secret value -> env name; the same value keeps one name, clashes get _2, _3."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for f in findings:
        if f.category != "credential" or f.secret in names:
            continue
        base = env_name(f)
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name)
        names[f.secret] = name
    return names


def _replacement(finding: Finding, names: dict[str, str]) -> str:
    if finding.category == "credential":
        return "${" + names[finding.secret] + "}"
    return f"<redacted-{finding.kind}>"


def _write_atomic(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _backup(root: Path, rel: str, backup_dir: Path) -> None:
    # Absolute or "../" paths must not escape the backup directory.
    safe = [part for part in Path(rel).parts if part not in ("/", "..", ".")]
    target = backup_dir.joinpath(*safe)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(root / rel, target)
    os.chmod(target, 0o600)


def fix_findings(
    root: Path,
    findings: Sequence[Finding],
    *,
    vault: Vault | None = None,
    project: str | None = None,
    backup_dir: Path | None = None,
) -> FixReport:
    """Rewrite each finding's value in place; see the module docstring.

    ``root`` is what ``Finding.path`` is relative to: the scanned directory, or
    ``Path(".")`` when a single file was scanned (its path is kept as given).
    """
    root = Path(root)
    names = _unique_names(findings)
    report = FixReport()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report.backup_dir = backup_dir or paths.home_dir() / "backups" / f"harden-{stamp}"
    by_file: dict[str, list[Finding]] = {}
    for f in findings:
        by_file.setdefault(f.path, []).append(f)
    planned: list[tuple[str, str, list[Finding]]] = []
    for rel, items in sorted(by_file.items()):
        new = (root / rel).read_bytes().decode("utf-8", "surrogateescape")
        applied: list[Finding] = []
        for f in sorted(items, key=lambda f: f.start, reverse=True):
            if new[f.start : f.end] != f.secret:  # the file changed since the scan
                report.skipped.append(f)
                continue
            new = new[: f.start] + _replacement(f, names) + new[f.end :]
            applied.append(f)
        if applied:
            planned.append((rel, new, applied))
    # Every value goes into the vault before any file changes: a vault error (wrong
    # key) then leaves the tree untouched instead of half-fixed.
    if vault is not None and project is not None:
        for _, _, applied in planned:
            for f in applied:
                if f.category == "credential":
                    vault.set(project, names[f.secret], f.secret)
                    report.stored[names[f.secret]] = f.rule
    for rel, new, applied in planned:
        report.backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        _backup(root, rel, report.backup_dir)
        _write_atomic(root / rel, new)
        report.fixed.extend(sorted(applied, key=lambda f: f.start))
        report.files.append(rel)
    if not report.files:
        report.backup_dir = None
    return report
