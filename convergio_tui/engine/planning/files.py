"""Where a drafted plan is written and how: the rules ``convergio plan new`` and the
dashboard's New plan screen share, so the two write the same file for the same goal.

- the goal's limits (:data:`GOAL_MAX_BYTES`, :func:`goal_problem`);
- the default file, ``plans/<slug>.yaml`` in the project (:func:`slug`, :func:`default_out`);
- what the plan's ``project:`` says (:func:`project_value`);
- the write itself, whole or not at all (:func:`write_plan`).

Light on purpose (the standard library only at import time): the CLI imports it when
``convergio plan`` is loaded.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from convergio_tui.engine.projects import ProjectRef

GOAL_MAX_BYTES = 32 * 1024  # the goal shares the prompt with the format and the repository


def goal_problem(goal: str) -> str | None:
    """What is wrong with a goal, worded to follow "the goal", or None: it may be sent."""
    if not goal.strip():
        return "is empty: say what the plan should achieve"
    if len(goal.encode("utf-8", "surrogateescape")) > GOAL_MAX_BYTES:
        return (f"is over {GOAL_MAX_BYTES // 1024} KiB: put the details in a file of the "
                "repository and have the goal point at it")  # fmt: skip
    return None


def slug(goal: str, limit: int = 48) -> str:
    """A file name for the goal: its first line, lower case, ``-`` between words."""
    first = goal.strip().splitlines()[0] if goal.strip() else ""
    words = re.sub(r"[^a-z0-9]+", "-", first.lower()).strip("-")
    return words[:limit].rstrip("-") or "plan"


def default_out(project_path: str | Path, goal: str) -> Path:
    """The file a drafted plan goes to unless told otherwise: ``plans/<slug>.yaml`` in
    the project."""
    return (Path(project_path) / "plans" / f"{slug(goal)}.yaml").absolute()


def project_value(ref: ProjectRef, out: Path) -> str:
    """What the drafted plan's ``project:`` says: the configured name, else the project's
    folder relative to the plan file when the file is inside it, else its absolute path."""
    if ref.configured:
        return str(ref.name)
    folder, project = out.parent.resolve(), Path(ref.path)
    if folder == project or project in folder.parents:
        return os.path.relpath(project, folder)
    return str(project)


def write_plan(out: Path, text: str, header: str = "") -> None:
    """Write the plan file whole or not at all (a temporary file, then a rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(header + text.rstrip("\n") + "\n", encoding="utf-8")
    os.replace(tmp, out)


def read_plan(out: Path) -> str | None:
    """The plan file's text, or None when there is none (or it cannot be read)."""
    try:
        return out.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
