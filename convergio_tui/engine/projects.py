"""Which project a plan works on: identified by its resolved absolute path, never by name.

A plan's ``project:`` is a key of the configuration's ``projects:`` or a directory (read
from the spec's folder). Either way the project *is* its resolved path: a directory that
a configured project points at takes that project's name and settings, whatever the
plan calls it; any other directory is named after itself. Refused (exit 2, nothing
written): a filesystem root, a directory that is not the top of a git repository when
tasks run in worktrees, a directory called like a configured project that lives
elsewhere, and two configured projects sharing one directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from convergio_tui.config.errors import PlanSpecError, Problem
from convergio_tui.config.schema import Config, ProjectConfig
from convergio_tui.engine import gitops
from convergio_tui.store.models import Project


@dataclass(frozen=True)
class ProjectRef:
    """Where a plan's project lives and its routing constraints."""

    name: str
    path: str
    privacy: str
    allowed_providers: tuple[str, ...] | None
    base_branch: str
    configured: bool = False  # named by the configuration (else by its directory)


def _resolved(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def _project_line(spec_file: Path) -> int | None:
    """The line of the spec's top-level ``project:`` key, for the error message."""
    try:
        lines = spec_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for number, line in enumerate(lines, start=1):
        if line.startswith(("project:", '"project":', "'project':")):
            return number
    return None


def _refuse(spec_file: Path, message: str) -> PlanSpecError:
    return PlanSpecError([Problem(str(spec_file), _project_line(spec_file), "project", message)])


def _from_config(name: str, project: ProjectConfig, path: Path) -> ProjectRef:
    allowed = tuple(project.allowed_providers) if project.allowed_providers is not None else None
    return ProjectRef(name, str(path), project.privacy, allowed, project.base_branch, True)


def _configured_at(config: Config, path: Path) -> list[str]:
    """The configured projects whose path resolves to ``path``."""
    return [name for name, p in config.projects.items() if _resolved(p.path) == path]


def git_toplevel_problem(path: Path) -> str | None:
    """Why ``path`` is not the top level of a git repository (None when it is)."""
    if not path.is_dir():
        return f"{path} is not an existing directory"
    proc = gitops.git(path, "rev-parse", "--show-toplevel", check=False)
    top = proc.stdout.strip()
    if proc.returncode != 0 or not top:
        return (
            f"{path} is not inside a git repository (tasks run in git worktrees): make it "
            "one (git init, then a first commit), name a repository's top folder, or set "
            "execution.worktrees: false"
        )
    if _resolved(top) != path:
        return (
            f"{path} is inside the git repository {top}, not its top level: name the "
            "repository's own directory"
        )
    return None


def resolve_project(name_or_path: str, config: Config, spec_file: Path) -> ProjectRef:
    """The project ``name_or_path`` names (see the module docstring); raises
    :class:`PlanSpecError` naming ``spec_file`` and the ``project`` key."""
    if name_or_path in config.projects:
        path = _resolved(config.projects[name_or_path].path)
    else:
        candidate = Path(name_or_path).expanduser()
        if not candidate.is_absolute():
            candidate = spec_file.parent / candidate
        if not candidate.is_dir():
            known = ", ".join(config.projects) or "none configured"
            raise _refuse(spec_file, f"{name_or_path!r} is neither a project in the "
                          f"configuration ({known}) nor an existing directory")  # fmt: skip
        path = _resolved(candidate)
    if path == Path(path.anchor):
        raise _refuse(spec_file, f"{name_or_path!r} is the filesystem root {path}: name the "
                      "project's own directory")  # fmt: skip
    names = _configured_at(config, path)
    if len(names) > 1:
        raise _refuse(spec_file, f"{path} is configured as several projects "
                      f"({', '.join(names)}): keep one entry per directory")  # fmt: skip
    if names:
        ref = _from_config(names[0], config.projects[names[0]], path)
    else:
        other = config.projects.get(path.name)
        if other is not None:
            raise _refuse(spec_file, f"{path} is called {path.name!r} like the configured "
                          f"project at {_resolved(other.path)}: add it to projects: under "
                          "another name")  # fmt: skip
        ref = ProjectRef(path.name, str(path), "internal", None, "main")
    if config.execution.worktrees:
        problem = git_toplevel_problem(path)
        if problem is not None:
            raise _refuse(spec_file, problem)
    return ref


def project_row(ref: ProjectRef, spec_file: Path) -> Project:
    """The stored project at ``ref.path``, made on first use; call inside a write
    transaction. Another project stored under the same name at another path is refused
    unless the configuration names this one (the configuration moved it)."""
    row = Project.get_or_none(Project.path == ref.path)
    if row is None:
        clash = Project.get_or_none(Project.name == ref.name, Project.path != ref.path)
        if clash is not None and not ref.configured:
            raise _refuse(spec_file, f"a different project called {ref.name!r} is already "
                          f"known at {clash.path}: add {ref.path} to projects: in the "
                          "configuration under another name")  # fmt: skip
        allowed = list(ref.allowed_providers) if ref.allowed_providers is not None else None
        return Project.create(name=ref.name, path=ref.path, privacy=ref.privacy,
                              allowed_providers=allowed, base_branch=ref.base_branch)  # fmt: skip
    if ref.configured and row.name != ref.name:
        # The configuration now names this directory (the vault and views go by name).
        Project.update(name=ref.name).where(Project.id == row.id).execute()
        row.name = ref.name
    return row
