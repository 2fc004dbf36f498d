"""The plan spec (docs/plan-format.md): strict validation with file:line for every problem.

Pure except :func:`project_problem`, which resolves a path-like ``project:`` against the
spec's folder to refuse a filesystem root. Limits are in docs/input-limits.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from convergio_tui.config.errors import PlanSpecError, Problem
from convergio_tui.config.loader import validate_located
from convergio_tui.config.strict import StrictModel
from convergio_tui.config.yaml_lines import (
    LocatedYaml,
    LocatedYamlError,
    load_located,
    load_located_text,
)
from convergio_tui.providers.argv_limits import PROMPT_MAX_BYTES

TaskType = Literal["coding", "research", "review", "test", "bulk", "pr-ops", "docs"]
Privacy = Literal["public", "internal", "sensitive"]
# Titles and names go into commit messages and one-line views: one readable line.
TITLE_MAX_CHARS = 1000


def _one_line(value: str) -> str:
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
        raise ValueError("must be one line without control characters")
    return value


class TaskSpec(StrictModel):
    """One task as written in the spec."""

    # The descriptions are what `convergio plan new` tells its planning agent about each
    # key (engine/planning/prompt.py renders this schema): keep them true and short.
    code: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="unique in the plan; names the task's git branch")  # fmt: skip
    title: str = Field(min_length=1, max_length=TITLE_MAX_CHARS,
                       description="one line; goes into commit messages")  # fmt: skip
    prompt: str = Field(min_length=1, description=(
        "what the coding agent is asked to do, self-contained: it sees only this text and "
        "the repository (at most 96 KiB)"))  # fmt: skip
    type: TaskType = Field(description="the kind of work; selects routing.by_type")
    priority: Literal["P0", "P1", "P2", "P3"] = Field(
        default="P1", description="selects routing.by_priority; P0 most urgent"
    )
    privacy: Privacy | None = Field(default=None, description=(
        "the task's own level; the plan's and the project's may raise it, never lower it"))  # fmt: skip
    files: list[str] = Field(default_factory=list, description=(
        "paths, folders or globs the task's diff must change (Thor checks it)"))  # fmt: skip
    verify: list[str] = Field(default_factory=list, description=(
        "shell commands run in the task's checkout after it; each must exit 0"))  # fmt: skip
    provider: str | None = Field(default=None, description=(
        "a configured provider to try first; leave it out to let routing choose"))  # fmt: skip
    model: str | None = Field(default=None, description=(
        "a model id for the chosen provider; leave it out to let routing choose"))  # fmt: skip
    timeout_s: float | None = Field(default=None, gt=0, description=(
        "seconds before the run is killed (default: the provider's)"))  # fmt: skip
    depends_on: list[str] = Field(default_factory=list, description=(
        "codes of tasks in this or an earlier wave that must be done first"))  # fmt: skip

    _title_line = field_validator("title")(_one_line)

    @model_validator(mode="before")
    @classmethod
    def _older_provider_key(cls, data: Any) -> Any:
        """Accept ``executor_agent`` (the key's older name) for ``provider``, not both."""
        if not isinstance(data, dict) or "executor_agent" not in data:
            return data
        if "provider" in data:
            raise ValueError(
                "has both `provider` and `executor_agent` (its older name): keep `provider`"
            )
        data = dict(data)
        data["provider"] = data.pop("executor_agent")
        return data


class WaveSpec(StrictModel):
    """One wave: tasks that may run in parallel."""

    name: str = Field(min_length=1, description="shown in plan show and the dashboard")
    tasks: list[TaskSpec] = Field(min_length=1, description=(
        "at least one; a wave's tasks run in parallel, so they must not edit the same files"))  # fmt: skip


class PlanSpec(StrictModel):
    """A whole plan spec. ``privacy`` (optional) is the plan's floor: it may raise its
    tasks' and its project's privacy, never lower them (enforced where it is stored)."""

    name: str = Field(min_length=1, max_length=TITLE_MAX_CHARS,
                      description="the plan's name: one line")  # fmt: skip
    project: str = Field(min_length=1, description=(
        "a project of the configuration, or the repository's directory"))  # fmt: skip
    privacy: Privacy | None = Field(default=None, description=(
        "the plan's floor: raises its tasks' privacy, never lowers it"))  # fmt: skip
    waves: list[WaveSpec] = Field(min_length=1, description=(
        "at least one; waves run one after another, each from the previous one's result"))  # fmt: skip

    _name_line = field_validator("name")(_one_line)

    @field_validator("project")
    @classmethod
    def _project_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty: name a project of the configuration or a directory")
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("must not hold control characters")
        return value


def project_problem(text: str, spec_dir: Path) -> str | None:
    """Why ``project:`` text can never name a project, or None.

    A filesystem root (``/``, or ``../..`` climbing to it) has no name and holds every
    repository on the machine. Whether the text names a configured project or a
    directory is for the planner to decide; a relative path is read from ``spec_dir``.
    """
    candidate = Path(text.strip()).expanduser()
    if not candidate.is_absolute():
        candidate = spec_dir / candidate
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, an unreadable parent
        return None
    if resolved == Path(resolved.anchor):
        return (
            f"{text.strip()!r} is the filesystem root {resolved}: name the project's own directory"
        )
    return None


def load_plan_spec(path: Path, providers: Iterable[str] = ()) -> PlanSpec:
    """Read and validate a plan spec; raise :class:`PlanSpecError` listing every problem.

    ``providers`` are the configured provider names, to check each task's ``provider``.
    """
    try:
        located = load_located(path)
    except LocatedYamlError as exc:
        raise PlanSpecError([exc.problem]) from None
    return _validated(located, path.parent, providers)


def plan_spec_from_text(
    text: str, file: str, spec_dir: Path, providers: Iterable[str] = ()
) -> PlanSpec:
    """:func:`load_plan_spec` for YAML ``text`` that is not (yet) a file: a drafted plan.

    ``file`` names it in messages (``file:line: key: message``); a relative ``project:``
    is read from ``spec_dir``. Raises :class:`PlanSpecError` listing every problem.
    """
    try:
        located = load_located_text(text, file)
    except LocatedYamlError as exc:
        raise PlanSpecError([exc.problem]) from None
    return _validated(located, spec_dir, providers)


def _validated(located: LocatedYaml, spec_dir: Path, providers: Iterable[str]) -> PlanSpec:
    spec = validate_located(located, PlanSpec, PlanSpecError)
    problems = list(check_limits(spec, located, spec_dir))
    problems += check_references(spec, located, list(providers))
    if problems:
        raise PlanSpecError(problems)
    return spec


def check_limits(spec: PlanSpec, located: LocatedYaml, spec_dir: Path) -> Iterable[Problem]:
    """A project that is a filesystem root; prompts no provider's command line can carry."""
    root = project_problem(spec.project, spec_dir)
    if root is not None:
        yield located.problem(("project",), root)
    for w, wave in enumerate(spec.waves):
        for t, task in enumerate(wave.tasks):
            size = len(task.prompt.encode("utf-8", "surrogateescape"))
            if size > PROMPT_MAX_BYTES:
                yield located.problem(("waves", w, "tasks", t, "prompt"),
                    f"the prompt is {size // 1024} KiB, over the {PROMPT_MAX_BYTES // 1024} KiB "
                    "a provider's command line can carry (Linux: 128 KiB per argument, less "
                    "Thor's feedback): put the long text in a file of the repository and "
                    "have the prompt point at it")  # fmt: skip


def check_references(
    spec: PlanSpec, located: LocatedYaml, providers: list[str]
) -> Iterable[Problem]:
    """Duplicate codes, unknown or later-wave dependencies, cycles, unknown providers."""
    wave_of: dict[str, int] = {}
    for w, wave in enumerate(spec.waves):
        for t, task in enumerate(wave.tasks):
            loc: tuple[str | int, ...] = ("waves", w, "tasks", t)
            if task.code in wave_of:
                yield located.problem((*loc, "code"), f"duplicate task code {task.code!r}")
            else:
                wave_of[task.code] = w
            if providers and task.provider and task.provider not in providers:
                # Point at the key the file has: plans written earlier say executor_agent.
                older = (*loc, "executor_agent") in located.lines
                yield located.problem(
                    (*loc, "executor_agent" if older else "provider"),
                    f"unknown provider {task.provider!r} (known: {', '.join(providers)})",
                )
    for w, wave in enumerate(spec.waves):
        for t, task in enumerate(wave.tasks):
            for d, dep in enumerate(task.depends_on):
                loc = ("waves", w, "tasks", t, "depends_on", d)
                if dep not in wave_of:
                    yield located.problem(loc, f"depends on {dep!r}, which no task has as its code")
                elif wave_of[dep] > w:
                    yield located.problem(loc, f"depends on {dep!r}, which is in a later wave")
                elif dep == task.code:
                    yield located.problem(loc, "a task cannot depend on itself")
    yield from _cycles(spec, located)


def _cycles(spec: PlanSpec, located: LocatedYaml) -> Iterable[Problem]:
    """Each dependency cycle once. Iterative: a chain of thousands of tasks must not
    exhaust Python's recursion limit."""
    deps = {t.code: list(t.depends_on) for wave in spec.waves for t in wave.tasks}
    where = {
        t.code: ("waves", w, "tasks", i, "depends_on")
        for w, wave in enumerate(spec.waves)
        for i, t in enumerate(wave.tasks)
    }
    state: dict[str, int] = {}  # 1 = on the stack, 2 = finished
    reported: set[frozenset[str]] = set()
    for start in deps:
        if state.get(start) is not None:
            continue
        stack: list[str] = [start]
        pending: list[Iterator[str]] = [iter(deps[start])]
        state[start] = 1
        while pending:
            code = stack[-1]
            dep = next(pending[-1], None)
            if dep is None:
                stack.pop()
                pending.pop()
                state[code] = 2
            elif dep not in deps or dep == code:
                continue
            elif state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    shown = cycle if len(cycle) <= 12 else [*cycle[:6], "...", *cycle[-3:]]
                    yield located.problem(where[code], "dependency cycle: " + " -> ".join(shown))
            elif state.get(dep) is None:
                state[dep] = 1
                stack.append(dep)
                pending.append(iter(deps[dep]))
