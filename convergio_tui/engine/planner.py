"""Store a validated plan spec: project, plan, waves and tasks with routing assigned."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from convergio_tui.config.errors import PlanSpecError, Problem
from convergio_tui.config.schema import Config
from convergio_tui.engine.plan_spec import PlanSpec, TaskSpec, load_plan_spec
from convergio_tui.engine.router import Decision, RouteRequest, route
from convergio_tui.engine.snapshot import budget_view, health_views
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Plan, Project, Task, Wave


@dataclass(frozen=True)
class ProjectRef:
    """Where a plan's project lives and its routing constraints."""

    name: str
    path: str
    privacy: str
    allowed_providers: tuple[str, ...] | None
    base_branch: str


def resolve_project(name_or_path: str, config: Config, spec_file: Path) -> ProjectRef:
    """A project key of ``projects:`` or a directory path (relative to the spec file)."""
    project = config.projects.get(name_or_path)
    if project is not None:
        allowed = (
            tuple(project.allowed_providers) if project.allowed_providers is not None else None
        )
        path = str(Path(project.path).expanduser().resolve())
        return ProjectRef(name_or_path, path, project.privacy, allowed, project.base_branch)
    candidate = Path(name_or_path).expanduser()
    if not candidate.is_absolute():
        candidate = spec_file.parent / candidate
    if candidate.is_dir():
        path = str(candidate.resolve())
        return ProjectRef(Path(path).name, path, "internal", None, "main")
    known = ", ".join(config.projects) or "none configured"
    raise PlanSpecError(
        [Problem(str(spec_file), None, "project",
                 f"{name_or_path!r} is neither a project in the configuration ({known}) "
                 "nor an existing directory")]
    )  # fmt: skip


def route_request(
    task: TaskSpec | Task, project: ProjectRef | Project, privacy: str
) -> RouteRequest:
    """The router's view of a task."""
    allowed = project.allowed_providers
    explicit_agent = task.executor_agent if isinstance(task, TaskSpec) else task.requested_agent
    explicit_model = task.model if isinstance(task, TaskSpec) else task.requested_model
    return RouteRequest(
        type=task.type,
        priority=task.priority,
        privacy=privacy,
        executor_agent=explicit_agent,
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
    spec, ref = prepare_plan(spec_path, config, project_override)
    return store_plan(spec, ref, config, spec_path)


def store_plan(spec: PlanSpec, ref: ProjectRef, config: Config, spec_path: Path) -> int:
    """Route every task with today's budget and health and store the plan in one transaction."""
    budget, health = budget_view(config), health_views()
    decisions: dict[str, Decision] = {}
    for wave in spec.waves:
        for task in wave.tasks:
            privacy = task.privacy or ref.privacy
            decisions[task.code] = route(route_request(task, ref, privacy), config, budget, health)
    with immediate():
        project, _ = Project.get_or_create(
            name=ref.name,
            defaults={"path": ref.path, "privacy": ref.privacy,
                      "allowed_providers": list(ref.allowed_providers) if ref.allowed_providers is not None else None,
                      "base_branch": ref.base_branch},
        )  # fmt: skip
        plan = Plan.create(project=project, name=spec.name, spec_path=str(spec_path.resolve()))
        for seq, wave_spec in enumerate(spec.waves, start=1):
            wave = Wave.create(plan=plan, seq=seq, name=wave_spec.name)
            for task in wave_spec.tasks:
                decision = decisions[task.code]
                Task.create(
                    plan=plan, wave=wave, code=task.code, title=task.title, prompt=task.prompt,
                    type=task.type, priority=task.priority, privacy=task.privacy or ref.privacy,
                    requested_agent=task.executor_agent, requested_model=task.model,
                    executor_agent=decision.provider, model=decision.model,
                    route_reasons=list(decision.reasons), estimate_usd=decision.estimate_usd,
                    files=task.files, verify=task.verify, depends_on=task.depends_on,
                    timeout_s=task.timeout_s,
                )  # fmt: skip
    return int(plan.id)
