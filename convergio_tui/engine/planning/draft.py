"""Draft a plan for a goal: up to three planning rounds, each validated like an import.

Round 1 asks the planning agent for a plan (engine/planning/prompt.py). Its answer's YAML
(engine/planning/extract.py) is validated by the plan validator itself, from text, with
line numbers, and must name the project it was drafted for. A refused draft goes back in
the next round's prompt with the validator's errors (``PLAN-REJECTION round N:``); after
:data:`MAX_ROUNDS` refused rounds the planning fails with every round's problems. Nothing
is written here but the runs and their charges (engine/planning/dispatch.py): the caller
writes the file and imports it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui.config.errors import PlanSpecError
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.plan_spec import PlanSpec, plan_spec_from_text
from convergio_tui.engine.planning.dispatch import Attempt, Target, run_planner
from convergio_tui.engine.planning.extract import extract_plan
from convergio_tui.engine.planning.prompt import PLAN_FILE, Rejection, build_prompt
from convergio_tui.store.states import RUN_STOPPED

MAX_ROUNDS = 3  # the first draft and two more after errors


@dataclass(frozen=True)
class Round:
    """One planning round: its run and what was wrong with its answer (nothing: accepted)."""

    number: int
    attempt: Attempt
    problems: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """JSON form (docs/cli.md, ``plan new``)."""
        a = self.attempt
        return {"round": self.number, "run_id": a.run_id, "provider": a.provider,
                "model": a.model, "cost_usd": round(a.cost_usd, 6), "ok": not self.problems,
                "problems": list(self.problems)}  # fmt: skip


@dataclass(frozen=True)
class Draft:
    """A plan that passed validation, as the agent wrote it, and the rounds it took."""

    spec: PlanSpec
    text: str
    rounds: tuple[Round, ...]

    @property
    def cost_usd(self) -> float:
        """What the planning runs were charged."""
        return sum(r.attempt.cost_usd for r in self.rounds)


class PlanningFailed(Exception):
    """No valid plan: every round refused, no provider may plan, the agent changed the
    repository, or the planning was stopped. ``rounds`` are the runs that were made."""

    def __init__(self, message: str, rounds: Sequence[Round] = (), *, stopped: bool = False):
        super().__init__(message)
        self.rounds = tuple(rounds)
        self.stopped = stopped

    @property
    def cost_usd(self) -> float:
        """What the planning runs were charged."""
        return sum(r.attempt.cost_usd for r in self.rounds)


@dataclass(frozen=True)
class Brief:
    """What the planner is asked: the goal, where the plan will live, what it is told."""

    goal: str
    project_value: str  # what the plan's ``project:`` must say
    spec_dir: Path  # the folder the plan file will be written in (relative project paths)
    repository: str  # RepoView.render()
    example: str  # the plan template
    notes: tuple[str, ...] = field(default_factory=tuple)


def validate_draft(text: str, brief: Brief, providers: Sequence[str]) -> PlanSpec:
    """The plan in ``text``, validated as ``plan import`` would, and naming the project it
    was drafted for; raises :class:`PlanSpecError` listing every problem."""
    spec = plan_spec_from_text(text, PLAN_FILE, brief.spec_dir, providers)
    if spec.project != brief.project_value:
        from convergio_tui.config.errors import Problem

        line = next((n for n, row in enumerate(text.splitlines(), 1)
                     if row.startswith("project:")), None)  # fmt: skip
        raise PlanSpecError([Problem(PLAN_FILE, line, "project", f"is {spec.project!r}: "
                                     f"it must be {brief.project_value!r}, the project this "
                                     "plan is drafted for")])  # fmt: skip
    return spec


def _judge(attempt: Attempt, brief: Brief, providers: Sequence[str]) -> tuple[PlanSpec | None, tuple[str, ...], str]:  # fmt: skip
    """The plan of a finished run, or its problems; and the YAML that was validated."""
    if not attempt.success:
        why = attempt.error or attempt.status or "no answer"
        return None, (f"the {attempt.provider} run failed: {why}",), ""
    extracted = extract_plan(attempt.text)
    if extracted.problem is not None:
        return None, (extracted.problem,), ""
    try:
        return validate_draft(extracted.text, brief, providers), (), extracted.text
    except PlanSpecError as exc:
        return None, tuple(str(p) for p in exc.problems), extracted.text


def draft_plan(ctx: EngineContext, target: Target, brief: Brief, *,
               cancel: threading.Event | None = None,
               on_round: Callable[[Round], None] | None = None) -> Draft:  # fmt: skip
    """Run up to :data:`MAX_ROUNDS` planning rounds (see the module docstring); the first
    valid plan wins. Raises :class:`PlanningFailed`."""
    cancel = cancel or ctx.stop
    providers = list(ctx.config.providers)
    rounds: list[Round] = []
    rejections: list[Rejection] = []
    for number in range(1, MAX_ROUNDS + 1):
        prompt = build_prompt(
            brief.goal, config=ctx.config, project_value=brief.project_value,
            privacy=target.privacy, allowed=target.allowed, repository=brief.repository,
            example=brief.example, rejections=rejections, notes=brief.notes,
        )  # fmt: skip
        attempt = run_planner(ctx, target, prompt, number, cancel)
        if attempt.blocked:
            raise PlanningFailed(f"no provider may draft this plan now: {attempt.error}", rounds)
        if attempt.status in RUN_STOPPED:
            rounds.append(Round(number, attempt, ("stopped",)))
            raise PlanningFailed("planning stopped: nothing was written", rounds, stopped=True)
        if attempt.changed:
            rounds.append(Round(number, attempt, ("the agent changed the repository",)))
            raise PlanningFailed(
                f"the planning agent ({attempt.provider}, run {attempt.run_id}) changed the "
                f"repository at {target.ref.path} (it may only read it; sandbox.mode is "
                f"{ctx.config.sandbox.mode}): look at `git status` there; nothing was imported",
                rounds,
            )  # fmt: skip
        spec, problems, text = _judge(attempt, brief, providers)
        done = Round(number, attempt, problems)
        rounds.append(done)
        if on_round is not None:
            on_round(done)
        if spec is not None:
            return Draft(spec, text, tuple(rounds))
        if attempt.success:  # a failed run is not the plan's fault: the same prompt again
            rejections.append(Rejection(number, problems, text))
    last = "; ".join(rounds[-1].problems[:3]) if rounds else ""
    raise PlanningFailed(f"no valid plan after {MAX_ROUNDS} rounds (last: {last})", rounds)
