"""Privacy at dispatch: the level a run is routed with only ever tightens. Pure.

At import a task's privacy is the strictest of its own, its plan's and its project's. At
dispatch (a task run, a retry, Thor's cross-review) it is computed again from what is
stored *and* the configuration read now, so a project made ``sensitive`` (or given a
shorter ``allowed_providers``) after a plan was imported governs that plan's next run.
Nothing here can lower a level: a looser configuration never undoes a stricter record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convergio_tui.config.schema import PRIVACY_LEVELS, Config, ProjectConfig


def strictest(levels: Iterable[str | None]) -> str:
    """The strictest privacy level among ``levels`` (public < internal < sensitive);
    unknown or missing levels count as ``sensitive`` so a typo never loosens anything."""
    ranks = [PRIVACY_LEVELS.index(x) if x in PRIVACY_LEVELS else 2 for x in levels]
    return PRIVACY_LEVELS[max(ranks, default=1)]


def _resolved(path: str) -> str:
    return str(Path(path).expanduser().resolve())


def configured_project(config: Config, path: str) -> tuple[str, ProjectConfig] | None:
    """The ``projects:`` entry whose path resolves to ``path`` (a project is identified by
    its resolved absolute path, not by its name)."""
    target = _resolved(path)
    for name, project in config.projects.items():
        if _resolved(project.path) == target:
            return name, project
    return None


@dataclass(frozen=True)
class Effective:
    """What a run may see: its privacy level, the providers the project allows (None: no
    project limit) and why, for the run's route reasons."""

    privacy: str
    project_allowed: tuple[str, ...] | None
    reasons: tuple[str, ...]


def effective(
    config: Config,
    *,
    project_path: str,
    stored_project_privacy: str,
    stored_project_allowed: Iterable[str] | None,
    plan_privacy: str | None,
    task_privacy: str | None,
) -> Effective:
    """The strictest privacy of task, plan and project (stored and configured now), and
    the intersection of the stored and the configured ``allowed_providers``."""
    found = configured_project(config, project_path)
    current = found[1] if found is not None else None
    sources = {
        "task": task_privacy,
        "plan": plan_privacy,
        "project": stored_project_privacy,
        "project config": current.privacy if current is not None else None,
    }
    level = strictest(v for v in sources.values() if v is not None)
    reasons: list[str] = []
    if task_privacy is not None and level != task_privacy:
        raisers = [k for k, v in sources.items() if v == level]
        reasons.append(f"privacy raised from {task_privacy} to {level} by the {raisers[0]}")
    allowed: set[str] | None = None
    for source, names in (
        ("stored project", stored_project_allowed),
        ("project config", current.allowed_providers if current is not None else None),
    ):
        if names is None:
            continue
        allowed = set(names) if allowed is None else allowed & set(names)
        changed = stored_project_allowed is not None and set(names) != set(stored_project_allowed)
        if source == "project config" and changed:
            reasons.append(f"project allowed_providers now {', '.join(names) or 'none'}")
    ordered = None if allowed is None else tuple(p for p in config.providers if p in allowed)
    return Effective(level, ordered, tuple(reasons))


def for_plan(config: Config, plan: Any, task_privacy: str | None) -> Effective:
    """:func:`effective` for a stored plan row (its project's stored privacy and allow-list)
    under ``config``."""
    project = plan.project
    return effective(
        config, project_path=project.path, stored_project_privacy=project.privacy,
        stored_project_allowed=project.allowed_providers,
        plan_privacy=plan.privacy, task_privacy=task_privacy,
    )  # fmt: skip
