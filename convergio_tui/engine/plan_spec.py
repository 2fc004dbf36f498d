"""The plan spec of CLI.md: strict validation with file:line for every problem (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import Field

from convergio_tui.config.errors import PlanSpecError, Problem
from convergio_tui.config.loader import validate_located
from convergio_tui.config.strict import StrictModel
from convergio_tui.config.yaml_lines import LocatedYaml, LocatedYamlError, load_located

TaskType = Literal["coding", "research", "review", "test", "bulk", "pr-ops", "docs"]


class TaskSpec(StrictModel):
    """One task as written in the spec."""

    code: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    type: TaskType
    priority: Literal["P0", "P1", "P2", "P3"] = "P1"
    privacy: Literal["public", "internal", "sensitive"] | None = None
    files: list[str] = Field(default_factory=list)
    verify: list[str] = Field(default_factory=list)
    executor_agent: str | None = None
    model: str | None = None
    timeout_s: float | None = Field(default=None, gt=0)
    depends_on: list[str] = Field(default_factory=list)


class WaveSpec(StrictModel):
    """One wave: tasks that may run in parallel."""

    name: str = Field(min_length=1)
    tasks: list[TaskSpec] = Field(min_length=1)


class PlanSpec(StrictModel):
    """A whole plan spec."""

    name: str = Field(min_length=1)
    project: str = Field(min_length=1)
    waves: list[WaveSpec] = Field(min_length=1)


def load_plan_spec(path: Path, providers: Iterable[str] = ()) -> PlanSpec:
    """Read and validate a plan spec; raise :class:`PlanSpecError` listing every problem.

    ``providers`` are the configured provider names, to check ``executor_agent``.
    """
    try:
        located = load_located(path)
    except LocatedYamlError as exc:
        raise PlanSpecError([exc.problem]) from None
    spec = validate_located(located, PlanSpec, PlanSpecError)
    problems = list(check_references(spec, located, list(providers)))
    if problems:
        raise PlanSpecError(problems)
    return spec


def check_references(
    spec: PlanSpec, located: LocatedYaml, providers: list[str]
) -> Iterable[Problem]:
    """Duplicate codes, unknown or later-wave dependencies, cycles, unknown providers."""
    wave_of: dict[str, int] = {}
    for w, wave in enumerate(spec.waves):
        for t, task in enumerate(wave.tasks):
            loc = ("waves", w, "tasks", t)
            if task.code in wave_of:
                yield located.problem((*loc, "code"), f"duplicate task code {task.code!r}")
            else:
                wave_of[task.code] = w
            if providers and task.executor_agent and task.executor_agent not in providers:
                yield located.problem(
                    (*loc, "executor_agent"),
                    f"unknown provider {task.executor_agent!r} (known: {', '.join(providers)})",
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
    deps = {t.code: list(t.depends_on) for wave in spec.waves for t in wave.tasks}
    where = {
        t.code: ("waves", w, "tasks", i, "depends_on")
        for w, wave in enumerate(spec.waves)
        for i, t in enumerate(wave.tasks)
    }
    state: dict[str, int] = {}  # 1 = on the stack, 2 = finished
    reported: set[frozenset[str]] = set()

    def visit(code: str, stack: list[str]) -> Iterable[Problem]:
        state[code] = 1
        stack.append(code)
        for dep in deps.get(code, []):
            if dep not in deps or dep == code:
                continue
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    yield located.problem(where[code], "dependency cycle: " + " -> ".join(cycle))
            elif state.get(dep) is None:
                yield from visit(dep, stack)
        stack.pop()
        state[code] = 2

    for code in deps:
        if state.get(code) is None:
            yield from visit(code, [])
