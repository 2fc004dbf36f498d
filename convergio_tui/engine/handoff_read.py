"""Read a plan's hand-off (:mod:`engine.handoff`) from the store and git, and keep it in
the journal.

The engine calls :func:`for_run` when an execution ends: a done plan's hand-off is
recorded as a ``plan.handoff`` event (its data is :meth:`Handoff.as_dict`), which the
dashboard reads with :func:`recorded`; ``convergio run`` and the headless demo print the
one attached to the run's summary. Only reads git (``diff --stat``, ``merge-base``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from convergio_tui.engine import gitops
from convergio_tui.engine.events import Bus
from convergio_tui.engine.handoff import Handoff, headline, parse_stat
from convergio_tui.git import GitError, git
from convergio_tui.store.models import Event, Plan, Wave
from convergio_tui.store.states import SummaryStatus, WaveStatus

KIND = "plan.handoff"
STAT_WIDTH = "120"  # columns of `git diff --stat`: long paths stay readable
# Ends after which there is nothing to hand off: the plan was cancelled, or the run was
# stopped in the middle (running again goes on).
NO_HANDOFF = frozenset({SummaryStatus.CANCELLED, SummaryStatus.STOPPED})


def read(plan_id: int, *, worktrees: bool) -> Handoff:
    """The hand-off of ``plan_id`` as the store and git say now."""
    plan = Plan.get_by_id(plan_id)
    repo, base = str(plan.project.path), str(plan.project.base_branch)
    complete = plan.status == "done"
    if not worktrees:
        return Handoff(repo=repo, base=base, complete=complete, worktrees=False)
    waves = list(Wave.select().where(Wave.plan == plan_id).order_by(Wave.seq))
    passed = [w for w in waves if w.status == WaveStatus.DONE and w.branch]
    found = Handoff(repo=repo, base=base, complete=complete, waves_total=len(waves),
                    waves_merged=tuple(w.seq for w in passed))  # fmt: skip
    if not passed:
        return found
    branch = str(passed[-1].branch)
    try:
        return _with_stat(found, Path(repo), branch)
    except (GitError, OSError) as exc:
        return replace(found, branch=branch, problem=str(exc).splitlines()[0][:300])


def _with_stat(found: Handoff, repo: Path, branch: str) -> Handoff:
    base = found.base
    missing = [ref for ref in (base, branch) if gitops.rev(repo, ref) is None]
    if missing:
        problem = f"no branch {missing[0]} in {repo}"
        return replace(found, branch=branch, problem=problem)
    out = git(repo, "diff", "--no-color", f"--stat={STAT_WIDTH}", f"{base}...{branch}",
              read_only=True).stdout  # fmt: skip
    merged = gitops.is_merged(repo, branch, base)
    return replace(found, branch=branch, stat=parse_stat(out), already_merged=merged)


def recorded(plan_id: int) -> Handoff | None:
    """The last hand-off recorded for ``plan_id``, or None."""
    event = (
        Event.select()
        .where(Event.plan == plan_id, Event.kind == KIND)
        .order_by(Event.id.desc())
        .first()
    )
    if event is None or not isinstance(event.data, dict):
        return None
    try:
        return Handoff.from_dict(event.data)
    except (KeyError, TypeError, ValueError):  # written by another version: read it again
        return None


def record(bus: Bus, plan_id: int, handoff: Handoff) -> None:
    """Journal ``handoff`` as a ``plan.handoff`` event, unless the last one says the same
    (running a done plan again records nothing new)."""
    last = recorded(plan_id)
    if last is not None and last.as_dict() == handoff.as_dict():
        return
    bus.journal(KIND, f"plan {plan_id}: {headline(handoff)}", plan_id=plan_id,
                data=handoff.as_dict())  # fmt: skip


def for_run(bus: Bus, plan_id: int, status: str, *, worktrees: bool) -> Handoff | None:
    """The hand-off to report at the end of an execution that ended with ``status``
    (None when there is none to give); a done plan's is recorded in the journal."""
    if status in NO_HANDOFF:
        return None
    handoff = read(plan_id, worktrees=worktrees)
    if status == SummaryStatus.DONE and handoff.complete:
        record(bus, plan_id, handoff)
    elif handoff.branch is None and handoff.worktrees:
        return None  # stopped before any wave passed: nothing to say yet
    return handoff
