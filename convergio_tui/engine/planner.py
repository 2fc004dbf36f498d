"""Store a validated plan spec: project, plan, waves and tasks with routing assigned.

A task's stored privacy is the strictest of its own, its plan's and its project's (the
configured one, and the stored one when the project is already known): a spec may raise
privacy, never lower it, and a raise is noted in the task's route reasons.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from convergio_tui.config.schema import Config
from convergio_tui.engine.plan_spec import PlanSpec, TaskSpec, load_plan_spec
from convergio_tui.engine.privacy import strictest
from convergio_tui.engine.projects import ProjectRef, project_row, resolve_project
from convergio_tui.engine.router import Decision, RouteRequest, route
from convergio_tui.engine.snapshot import budget_view, health_views
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Plan, Project, Task, Wave

__all__ = [
    "ProjectRef",
    "already_imported",
    "import_plan",
    "prepare_plan",
    "resolve_project",
    "spec_digest",
    "store_plan",
]


def route_request(
    task: TaskSpec | Task, project: ProjectRef | Project, privacy: str
) -> RouteRequest:
    """The router's view of a task."""
    allowed = project.allowed_providers
    explicit_provider = task.provider if isinstance(task, TaskSpec) else task.requested_provider
    explicit_model = task.model if isinstance(task, TaskSpec) else task.requested_model
    return RouteRequest(
        type=task.type,
        priority=task.priority,
        privacy=privacy,
        requested_provider=explicit_provider,
        model=explicit_model,
        prompt_chars=len(task.prompt),
        project_allowed=tuple(allowed) if allowed is not None else None,
    )


def prepare_plan(
    spec_path: Path, config: Config, project_override: str | None = None
) -> tuple[PlanSpec, ProjectRef]:
    """Validate the spec and resolve its project without touching the database.

    Raises ``PlanSpecError`` (exit 2) listing every problem.
    """
    spec: PlanSpec = load_plan_spec(spec_path, config.providers)
    return spec, resolve_project(project_override or spec.project, config, spec_path)


def import_plan(spec_path: Path, config: Config, project_override: str | None = None) -> int:
    """Validate ``spec_path`` and store it; return the new plan id.

    Nothing is written when the spec is invalid (``PlanSpecError``, exit 2).
    """
    digest = spec_digest(spec_path)
    spec, ref = prepare_plan(spec_path, config, project_override)
    return store_plan(spec, ref, config, spec_path, spec_sha256=digest)


def spec_digest(spec_path: Path) -> str | None:
    """SHA-256 of the spec file's bytes (None when it cannot be read: validation says why)."""
    try:
        return hashlib.sha256(spec_path.read_bytes()).hexdigest()
    except OSError:
        return None


def already_imported(spec_path: Path, digest: str | None) -> Plan | None:
    """The latest plan imported from this very file with this very content, if any: the
    same resolved path and the same SHA-256 (an edited file is a new plan)."""
    if digest is None:
        return None
    return (
        Plan.select()
        .where(Plan.spec_path == str(spec_path.resolve()), Plan.spec_sha256 == digest)
        .order_by(Plan.id.desc())
        .first()
    )


def task_privacy(declared: str | None, plan: str | None, project: str) -> tuple[str, str]:
    """The privacy a task is stored with, and the route reason when a level the spec
    declared for it was raised ("" otherwise). Pure."""
    level = strictest([x for x in (declared, plan, project) if x is not None])
    if declared is None or level == declared:
        return level, ""
    by = "plan" if plan == level else "project"
    return level, f"privacy raised from {declared} to {level} by the {by}"


def route_spec(spec: PlanSpec, ref: ProjectRef, config: Config) -> dict[str, tuple[str, str, Decision]]:  # fmt: skip
    """Each task's stored privacy, the reason a raise gets, and its routing decision with
    today's budget and health, by task code, in the spec's order (what ``plan import``
    stores and ``plan new`` shows before importing)."""
    budget, health = budget_view(config), health_views()
    known = Project.get_or_none(Project.path == ref.path)
    project_level = strictest([ref.privacy, known.privacy if known is not None else ref.privacy])
    decisions: dict[str, tuple[str, str, Decision]] = {}
    for wave in spec.waves:
        for task in wave.tasks:
            privacy, why = task_privacy(task.privacy, spec.privacy, project_level)
            decision = route(route_request(task, ref, privacy), config, budget, health)
            decisions[task.code] = (privacy, why, decision)
    return decisions


def store_plan(spec: PlanSpec, ref: ProjectRef, config: Config, spec_path: Path, *,
               spec_sha256: str | None = None) -> int:  # fmt: skip
    """Route every task with today's budget and health and store the plan in one
    transaction; ``spec_sha256`` (:func:`spec_digest`) lets a second import of the same
    file be recognised (:func:`already_imported`)."""
    plan_privacy = spec.privacy
    decisions = route_spec(spec, ref, config)
    with immediate():
        project = project_row(ref, spec_path)
        plan = Plan.create(project=project, name=spec.name, privacy=plan_privacy,
                           spec_path=str(spec_path.resolve()), spec_sha256=spec_sha256)  # fmt: skip
        for seq, wave_spec in enumerate(spec.waves, start=1):
            wave = Wave.create(plan=plan, seq=seq, name=wave_spec.name)
            for task in wave_spec.tasks:
                privacy, why, decision = decisions[task.code]
                reasons = [why, *decision.reasons] if why else list(decision.reasons)
                Task.create(
                    plan=plan, wave=wave, code=task.code, title=task.title, prompt=task.prompt,
                    type=task.type, priority=task.priority, privacy=privacy,
                    requested_provider=task.provider, requested_model=task.model,
                    provider=decision.provider, model=decision.model,
                    route_reasons=reasons, estimate_usd=decision.estimate_usd,
                    files=task.files, verify=task.verify, depends_on=task.depends_on,
                    timeout_s=task.timeout_s,
                )  # fmt: skip
    return int(plan.id)
