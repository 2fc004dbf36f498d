"""``plan new`` one step per call, for a caller that shows each step and waits for a person
between them: the dashboard's New plan screen (tui/screens/new_plan.py) calls these on
its worker threads, never on its UI thread.

:func:`set_up` checks the goal, the project and the sandbox and reads the repository;
:func:`draft` runs the planning rounds (engine/planning/draft.py, through the one
dispatch path); :func:`review` routes the drafted plan as ``plan import`` would store it
and reads today's budget; :func:`save` writes the file (never over someone else's
without ``overwrite``); :func:`read_back` validates the file again after a person edited
it; :func:`import_file` stores it. The file rules are engine/planning/files.py's, the
same as ``convergio plan new``'s.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from convergio_tui.config.errors import PlanSpecError
from convergio_tui.config.schema import Config
from convergio_tui.engine import budget
from convergio_tui.engine.plan_spec import PlanSpec
from convergio_tui.engine.planner import already_imported, prepare_plan, spec_digest, store_plan
from convergio_tui.engine.planning.dispatch import (
    Target,
    check_health,
    close_stale_runs,
    planning_context,
    planning_target,
)
from convergio_tui.engine.planning.draft import Brief, Draft, Round, draft_plan
from convergio_tui.engine.planning.files import (
    default_out,
    goal_problem,
    project_value,
    read_plan,
    write_plan,
)
from convergio_tui.engine.planning.preview import preview_spec
from convergio_tui.engine.planning.repo_view import read_repo_view
from convergio_tui.engine.planning.template import plan_template
from convergio_tui.engine.preview import PreviewRow
from convergio_tui.engine.projects import ProjectRef, git_toplevel_problem, resolve_project
from convergio_tui.store.models import Plan, Run
from convergio_tui.store.states import RunStatus

# A note quotes the plan it is about; past this the quote would crowd the prompt.
QUOTE_MAX_CHARS = 40_000


class DraftingRefused(Exception):
    """Nothing was asked of any agent: the goal, the project or the sandbox says no, or
    the file cannot be read. The message is one sentence for the person."""


@dataclass(frozen=True)
class Setup:
    """What a drafting needs: the project, where planning may go, the brief, the file."""

    ref: ProjectRef
    target: Target
    brief: Brief
    out: Path


@dataclass(frozen=True)
class Reviewed:
    """A valid plan ready to import: its shape, its file text, where each task would go
    now and what it would cost, today's budget, and the planning that made it."""

    name: str
    waves: tuple[str, ...]
    titles: tuple[tuple[str, str], ...]  # (task code, title) in the plan's order
    text: str  # the file's text: what is written, edited and imported
    ref: ProjectRef
    out: Path
    rows: tuple[PreviewRow, ...]
    today: budget.BudgetStatus
    rounds: tuple[Round, ...] = ()  # the last drafting's rounds
    planning_cost_usd: float = 0.0  # every drafting of this goal so far
    out_taken: bool = False  # another file is there: writing it asks first (:func:`save`)
    edited: bool = False  # read back from the file after a person edited it

    @property
    def estimate_usd(self) -> float:
        """The expected premium spend of the plan's tasks."""
        return sum(r.estimate_usd for r in self.rows)

    @property
    def reserve_usd(self) -> float:
        """What the premium runs reserve while they run, in all."""
        return sum(r.reserve_usd for r in self.rows)


@dataclass(frozen=True)
class PlanningRun:
    """The planning run this process is waiting for."""

    run_id: int
    provider: str
    model: str
    round: int
    started_at: float


def set_up(config: Config, goal: str, project: str) -> Setup:
    """Check the goal, the project (a configured name or a repository's top folder) and
    the sandbox; close planning runs a dead process left open; read the repository."""
    from convergio_tui.sandbox.confine import SandboxUnavailable, require_sandbox

    problem = goal_problem(goal)
    if problem is not None:
        raise DraftingRefused(f"The goal {problem}.")
    try:
        ref = resolve_project(project, config, Path("project"))
    except PlanSpecError as exc:
        raise DraftingRefused("; ".join(p.message for p in exc.problems)) from exc
    out = default_out(ref.path, goal)
    try:
        require_sandbox(config)
    except SandboxUnavailable as exc:
        raise DraftingRefused(str(exc)) from exc
    close_stale_runs(config)
    target = planning_target(config, ref)
    view = read_repo_view(Path(ref.path), config, ref.name if ref.configured else None)
    brief = Brief(goal, project_value(ref, out), out.parent, view.render(), plan_template())
    return Setup(ref, target, brief, out)


def draft(config: Config, setup: Setup, cancel: threading.Event, *, notes: Sequence[str] = (),
          on_round: Callable[[Round], None] | None = None) -> Draft:  # fmt: skip
    """Up to three planning rounds; ``cancel`` stops the running agent. Raises
    :class:`~convergio_tui.engine.planning.draft.PlanningFailed`."""
    ctx = planning_context(config, setup.target, cancel)
    check_health(ctx, setup.target)
    brief = replace(setup.brief, notes=tuple(notes))
    return draft_plan(ctx, setup.target, brief, cancel=cancel, on_round=on_round)


def revision_note(note: str, plan_text: str) -> str:
    """A person's note on a plan, with the plan quoted so that the planner revises it
    rather than starting again (left out when it is too long to quote)."""
    if len(plan_text) > QUOTE_MAX_CHARS:
        return note.strip()
    return (f"{note.strip()}\n\nThe plan this note is about (revise it, and answer with the "
            f"whole plan again in one ```yaml block):\n```yaml\n{plan_text.rstrip()}\n```")  # fmt: skip


def file_text(drafted: Draft, by: str) -> str:
    """The file a draft becomes: a comment naming who drafted it, then the plan."""
    last = drafted.rounds[-1].attempt
    n = len(drafted.rounds)
    header = (f"# Drafted {by} ({last.provider}·{last.model}, {n} round{'s' if n > 1 else ''}). "
              "Edit it freely; docs/plan-format.md explains every key.\n")  # fmt: skip
    return header + drafted.text.rstrip("\n") + "\n"


def review(config: Config, spec: PlanSpec, ref: ProjectRef, text: str, out: Path, *,
           rounds: Sequence[Round] = (), planning_cost_usd: float = 0.0, edited: bool = False,
           ours: str | None = None, at: float | None = None) -> Reviewed:  # fmt: skip
    """Route the plan as ``plan import`` would store it now (nothing is written) and read
    today's budget (``at``: the moment to read it for, default now). ``ours``: what the
    caller last wrote to ``out``; another file there is :attr:`Reviewed.out_taken`."""
    rows = tuple(preview_spec(config, spec, ref))
    titles = tuple((t.code, t.title) for w in spec.waves for t in w.tasks)
    taken = out.exists() and read_plan(out) not in (ours, text)
    return Reviewed(spec.name, tuple(w.name for w in spec.waves), titles, text, ref, out, rows,
                    budget.status(config.budget, at), tuple(rounds), planning_cost_usd,
                    taken, edited)  # fmt: skip


def save(out: Path, text: str, *, ours: str | None, overwrite: bool = False) -> bool:
    """Write ``text`` to ``out``; False (nothing written) when a file is there that is not
    ``ours`` (what this caller wrote last) and ``overwrite`` was not given."""
    current = read_plan(out)
    if current == text:
        return True
    if out.exists() and (current is None or current != ours) and not overwrite:
        return False
    write_plan(out, text)
    return True


def read_back(config: Config, out: Path, previous: Reviewed, at: float | None = None) -> Reviewed:
    """The plan file validated again (by the plan validator, its project resolved) after a
    person edited it. Raises ``PlanSpecError`` listing every problem."""
    text = read_plan(out)
    if text is None:
        raise DraftingRefused(f"{out} cannot be read any more.")
    spec, ref = prepare_plan(out, config)
    return review(config, spec, ref, text, out, rounds=previous.rounds,
                  planning_cost_usd=previous.planning_cost_usd, edited=True, ours=text, at=at)  # fmt: skip


def imported_as(out: Path) -> int | None:
    """The plan already imported from this very file with this very content, if any."""
    plan = already_imported(out, spec_digest(out))
    return None if plan is None else int(plan.id)


def import_file(config: Config, out: Path) -> int:
    """Validate the file and store it as a new plan with routing assigned; its id."""
    digest = spec_digest(out)
    spec, ref = prepare_plan(out, config)
    return store_plan(spec, ref, config, out, spec_sha256=digest)


def planning_run_now() -> PlanningRun | None:
    """The planning run this process has running now, if any."""
    run = (Run.select()
           .where(Run.task.is_null(), Run.wave.is_null(), Run.status == RunStatus.RUNNING,
                  Run.engine_pid == os.getpid())
           .order_by(Run.id.desc()).first())  # fmt: skip
    if run is None:
        return None
    return PlanningRun(int(run.id), run.provider, run.model, int(run.round), float(run.started_at))


def project_choices(config: Config, plan_id: int | None) -> tuple[list[tuple[str, str]], str | None]:  # fmt: skip
    """The projects a plan may be drafted for, as (label, value) pairs: the configured
    ones, the shown plan's when it is not configured, and this folder when it is a
    repository's top; and the one to offer first (the shown plan's, else the first)."""
    configured = {Path(p.path).expanduser().resolve(): name for name, p in config.projects.items()}
    choices = [(name, name) for name in config.projects]
    first: str | None = None
    plan = Plan.get_or_none(Plan.id == plan_id) if plan_id is not None else None
    if plan is not None:
        path = Path(plan.project.path)
        first = configured.get(path)
        if first is None:
            first = str(path)
            choices.append((f"{plan.project.name} · {path}", first))
    here = Path.cwd().resolve()
    if here not in configured and str(here) != first and git_toplevel_problem(here) is None:
        choices.append((f"this folder · {here}", str(here)))
    return choices, first or (choices[0][1] if choices else None)
