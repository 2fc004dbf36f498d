"""The state machine: every status of a task, wave, plan, run and escalation, the named
groups callers ask about, and the moves allowed between statuses, as data.

Pure (no I/O, imports nothing of the package), so the store, the engine, Thor, the CLI
and the dashboard all import it. Statuses are :class:`~enum.StrEnum` members: a member
equals, hashes and serialises as its string, so rows read back as plain ``str`` compare
with them directly (``task.status in TASK_CANCELLABLE``).

Writes go through :mod:`convergio_tui.store.transitions`, which makes each move a
conditional ``UPDATE ... WHERE status IN (allowed sources)``: a move this table does not
allow raises :class:`IllegalTransition`; a row that moved on meanwhile (a person
cancelled the task) is left alone. docs/architecture.md draws one task's life.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What has a status."""

    TASK = "task"
    WAVE = "wave"
    PLAN = "plan"
    RUN = "run"
    ESCALATION = "escalation"


class TaskStatus(StrEnum):
    """A task's status (column ``task.status``)."""

    PENDING = "pending"  # its wave has not started
    QUEUED = "queued"  # waits for dispatch: a free slot, its dependencies, a provider
    RUNNING = "running"  # a provider's CLI works on it
    SUBMITTED = "submitted"  # the run ended; the round's work is being committed
    VALIDATING = "validating"  # Thor reviews the round
    DONE = "done"  # accepted by Thor or approved by a person (a trigger enforces it)
    # Never written: a rejection re-queues or escalates at once (thor/rounds.py). Kept
    # because the schema has always allowed it, so an old row still reads.
    REJECTED = "rejected"
    ESCALATED = "escalated"  # rejected thor.max_rounds times: waits for a person
    FAILED = "failed"  # a person rejected its escalation
    BLOCKED = "blocked"  # cannot be routed now, or stopped by an error (blocked_reason)
    SKIPPED = "skipped"  # depends on a task that failed, was skipped or cancelled
    CANCELLED = "cancelled"  # a person cancelled it, or its plan


class WaveStatus(StrEnum):
    """A wave's status (column ``wave.status``)."""

    PENDING = "pending"  # an earlier wave is not done yet
    RUNNING = "running"  # its tasks are dispatched
    VALIDATING = "validating"  # every task finished: Thor's wave review
    DONE = "done"  # passed the wave review (or had nothing left to review)
    BLOCKED = "blocked"  # needs a person: no branch, a merge conflict, a rejected task
    FAILED = "failed"  # a task failed, or the review failed with nothing to send back
    CANCELLED = "cancelled"  # its plan was cancelled, or every task was


class PlanStatus(StrEnum):
    """A plan's status (column ``plan.status``)."""

    TODO = "todo"  # imported, never run
    DOING = "doing"  # a ``convergio run`` (or the dashboard's engine) took it
    PAUSED = "paused"  # no new dispatches; running tasks finish
    DONE = "done"  # every wave done
    FAILED = "failed"  # a wave failed; running it again starts from there
    CANCELLED = "cancelled"  # a person cancelled it


class RunStatus(StrEnum):
    """A run's status (column ``run.status``), and how a dispatch ended
    (``engine.launch.Executed.status``)."""

    RUNNING = "running"  # the provider's process is (or was, before a crash) alive
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"  # a person cancelled its task: the process tree was killed
    INTERRUPTED = "interrupted"  # the engine stopped or died mid-run: the task runs again
    # Never stored: a dispatch refused before its process started (privacy, sandbox,
    # argv too large) ends ``refused`` while its row is closed ``failed``.
    REFUSED = "refused"


class EscalationStatus(StrEnum):
    """An escalation's status (column ``escalation.status``)."""

    PENDING = "pending"  # waits for a person
    APPROVED = "approved"  # the task is done, validated by that person
    RETRIED = "retried"  # the task runs another round (maybe elsewhere)
    REJECTED = "rejected"  # the task failed; its wave is blocked


class SummaryStatus(StrEnum):
    """How one ``Executor.run`` ended (``RunSummary.status``, ``convergio run --json``):
    the plan's status, or ``stopped``/``waiting`` when the plan is left where it was."""

    TODO = "todo"
    DOING = "doing"
    PAUSED = "paused"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"  # Executor.stop (Ctrl-C, the dashboard closing)
    WAITING = "waiting"  # execution.max_wait_s passed with only cooling providers left


T, W, P, R, E = TaskStatus, WaveStatus, PlanStatus, RunStatus, EscalationStatus

# -- named groups: one meaning each ------------------------------------------------------

# Nothing more happens to it by itself, and a person cannot cancel it; its wave can end
# around it. (Only Thor's wave review, or a person's re-run, sends it back.)
TASK_FINISHED = frozenset({T.DONE, T.FAILED, T.SKIPPED, T.CANCELLED})
# Finished without being done: a task that depends on one can never run (it is skipped).
TASK_DEAD_END = TASK_FINISHED - {T.DONE}
# A person may cancel it (its process tree is killed).
TASK_CANCELLABLE = frozenset(T) - TASK_FINISHED
# In the engine's hands: waiting for a slot or dispatched; it changes by itself.
TASK_ACTIVE = frozenset({T.QUEUED, T.RUNNING, T.SUBMITTED, T.VALIDATING})
# Dispatched: its run or the steps after it are under way. A dead engine's tasks in
# these statuses are resumed or re-queued by recovery.
TASK_IN_FLIGHT = frozenset({T.RUNNING, T.SUBMITTED, T.VALIDATING})
# The scheduler may dispatch it (a blocked task is routed again now and then).
TASK_DISPATCHABLE = frozenset({T.QUEUED, T.BLOCKED})
# Not dispatched in this round: it is skipped when a task it depends on is a dead end.
TASK_NOT_STARTED = frozenset({T.PENDING, T.QUEUED, T.BLOCKED})
# Waits for a person (or, blocked, for a provider to cool down): ``convergio run`` lists
# them as waiting.
TASK_NEEDS_PERSON = frozenset({T.BLOCKED, T.ESCALATED, T.FAILED})
# A person decides it: approve, retry or reject its pending escalation.
TASK_DECIDABLE = frozenset({T.ESCALATED})
# A person may re-run it (``convergio task rerun``, the dashboard): a new round, back to
# the queue. Everything finished, and an escalated task (its escalation closes as retried).
TASK_RERUNNABLE = TASK_FINISHED | {T.ESCALATED}
# Thor may send it back (re-queue or escalate): after its own review, or when the wave
# review fails. A task a person approved is never sent back (thor/rounds.py checks).
TASK_REJECTABLE = frozenset({T.DONE, T.RUNNING, T.SUBMITTED, T.VALIDATING, T.REJECTED, T.QUEUED})

# A wave the plan is past: the current wave is the first not in here.
WAVE_CLOSED = frozenset({W.DONE, W.CANCELLED})
# The executor (re)starts it: makes its branch, queues its tasks, marks it running.
WAVE_STARTABLE = frozenset({W.PENDING, W.BLOCKED, W.FAILED})
# A re-run task takes its wave back to running (a done wave is reviewed again).
WAVE_REOPENABLE = frozenset({W.DONE, W.BLOCKED, W.FAILED})

# Ended: nothing runs again without a new ``convergio run`` (a failed plan can be run again).
PLAN_FINISHED = frozenset({P.DONE, P.FAILED, P.CANCELLED})
# Running it (again) moves it to doing.
PLAN_STARTABLE = frozenset({P.TODO, P.FAILED})
# A re-run task makes it doing again: it has work left.
PLAN_REOPENABLE = frozenset({P.DONE, P.FAILED})
# A person may pause it.
PLAN_PAUSABLE = frozenset({P.TODO, P.DOING})
# A person may resume it.
PLAN_RESUMABLE = frozenset({P.PAUSED})
# Started and not ended: its clock runs.
PLAN_UNDER_WAY = frozenset({P.DOING, P.PAUSED})

# The run's process ended (or was given up on); the row is closed.
RUN_FINISHED = frozenset({R.SUCCEEDED, R.FAILED, R.TIMEOUT, R.CANCELLED, R.INTERRUPTED})
# Stopped by the engine or a person, not by the provider: no health verdict, no alert.
RUN_STOPPED = frozenset({R.INTERRUPTED, R.CANCELLED})
# Nothing to resume from after a crash: the task's agent runs again.
RUN_NOT_RESUMABLE = frozenset({R.RUNNING, R.INTERRUPTED, R.CANCELLED, R.REFUSED})

# Still open: a person may decide it (once).
ESCALATION_DECIDABLE = frozenset({E.PENDING})

# -- the moves allowed, old -> new -------------------------------------------------------
# A status not listed as a key moves nowhere. A status listed under itself may be written
# again with new values (a blocked task's new reason).

_TASK: dict[TaskStatus, frozenset[TaskStatus]] = {
    T.PENDING: frozenset({T.QUEUED, T.SKIPPED, T.CANCELLED}),  # the wave starts
    # Dispatch; blocked when no provider may take it; sent back again by a wave review.
    T.QUEUED: frozenset({T.RUNNING, T.BLOCKED, T.SKIPPED, T.CANCELLED, T.QUEUED, T.ESCALATED}),
    T.BLOCKED: frozenset({T.RUNNING, T.BLOCKED, T.SKIPPED, T.CANCELLED}),
    # Back to the queue: the engine stopped, the provider was rate-limited, recovery.
    # Blocked: the worktree or the run was refused, an engine error. Escalated: see
    # TASK_REJECTABLE.
    T.RUNNING: frozenset({T.SUBMITTED, T.QUEUED, T.BLOCKED, T.CANCELLED, T.ESCALATED}),
    T.SUBMITTED: frozenset({T.VALIDATING, T.QUEUED, T.BLOCKED, T.CANCELLED, T.ESCALATED}),
    # Accepted; rejected (next round, or a person after max_rounds); errors; recovery.
    T.VALIDATING: frozenset({T.DONE, T.QUEUED, T.ESCALATED, T.BLOCKED, T.CANCELLED}),
    T.DONE: frozenset({T.QUEUED, T.ESCALATED}),  # the wave review, or a person's re-run
    T.REJECTED: frozenset({T.QUEUED, T.ESCALATED, T.CANCELLED}),
    # A person decides: approve, retry (or re-run), reject.
    T.ESCALATED: frozenset({T.DONE, T.QUEUED, T.FAILED, T.CANCELLED}),
    # A person re-runs it (engine/rerun.py); a skipped task also when the task it
    # depended on is re-run.
    T.FAILED: frozenset({T.QUEUED}),
    T.SKIPPED: frozenset({T.QUEUED}),
    T.CANCELLED: frozenset({T.QUEUED}),
}

_WAVE: dict[WaveStatus, frozenset[WaveStatus]] = {
    # Started; blocked when its branch cannot be made.
    W.PENDING: frozenset({W.RUNNING, W.BLOCKED, W.CANCELLED}),
    # Every task finished: reviewed, or done/cancelled with nothing to review; failed
    # when a task failed; blocked when it needs a person.
    W.RUNNING: frozenset({W.VALIDATING, W.DONE, W.FAILED, W.BLOCKED, W.CANCELLED}),
    # The review passed, sent tasks back, failed; an approved task does not merge.
    W.VALIDATING: frozenset({W.DONE, W.RUNNING, W.FAILED, W.BLOCKED, W.CANCELLED}),
    # Repaired by the next run; a person rejected another of its tasks; a person decided
    # the wave's own escalation (accepted as it is, or rejected).
    W.BLOCKED: frozenset({W.RUNNING, W.BLOCKED, W.CANCELLED, W.DONE, W.FAILED}),
    W.FAILED: frozenset({W.RUNNING, W.BLOCKED, W.CANCELLED}),  # the plan is run again
    W.DONE: frozenset({W.RUNNING}),  # a person re-runs one of its tasks
}

_PLAN: dict[PlanStatus, frozenset[PlanStatus]] = {
    P.TODO: frozenset({P.DOING, P.PAUSED, P.CANCELLED}),
    P.DOING: frozenset({P.PAUSED, P.DONE, P.FAILED, P.CANCELLED}),
    # Resumed; a paused plan still finishes when its last running task ends.
    P.PAUSED: frozenset({P.DOING, P.DONE, P.FAILED, P.CANCELLED}),
    P.FAILED: frozenset({P.DOING, P.CANCELLED}),  # run again
    # A finished plan run again finishes again (nothing was left to do); a person
    # re-runs one of its tasks.
    P.DONE: frozenset({P.DONE, P.DOING, P.CANCELLED}),
}

_RUN: dict[RunStatus, frozenset[RunStatus]] = {
    R.RUNNING: RUN_FINISHED,
}

_ESCALATION: dict[EscalationStatus, frozenset[EscalationStatus]] = {
    E.PENDING: frozenset({E.APPROVED, E.RETRIED, E.REJECTED}),
}

STATUSES: Mapping[Kind, type[StrEnum]] = {
    Kind.TASK: TaskStatus, Kind.WAVE: WaveStatus, Kind.PLAN: PlanStatus, Kind.RUN: RunStatus,
    Kind.ESCALATION: EscalationStatus,
}  # fmt: skip

# Any: a Mapping's key type is invariant, so no one key type covers each kind's enum.
MOVES: Mapping[Kind, Mapping[Any, frozenset[StrEnum]]] = {
    Kind.TASK: _TASK, Kind.WAVE: _WAVE, Kind.PLAN: _PLAN, Kind.RUN: _RUN,
    Kind.ESCALATION: _ESCALATION,
}  # fmt: skip


class IllegalTransition(ValueError):
    """A status move the state machine does not allow (or a status it does not know)."""


def _member(kind: Kind, status: str) -> StrEnum:
    enum = STATUSES[Kind(kind)]
    try:
        return enum(status)
    except ValueError:
        known = ", ".join(enum)
        raise IllegalTransition(f"{status!r} is not a {kind} status (known: {known})") from None


def can_move(kind: Kind, old: str, new: str) -> bool:
    """True when a ``kind`` may move from ``old`` to ``new`` (both must be known)."""
    return _member(kind, new) in MOVES[Kind(kind)].get(_member(kind, old), frozenset())


def check_move(kind: Kind, old: str, new: str) -> None:
    """Raise :class:`IllegalTransition` unless a ``kind`` may move from ``old`` to ``new``."""
    if not can_move(kind, old, new):
        allowed = ", ".join(sorted(MOVES[Kind(kind)].get(_member(kind, old), ()))) or "nothing"
        raise IllegalTransition(
            f"a {kind} cannot move from {old} to {new} (from {old} it may move to: {allowed})"
        )


def sources(kind: Kind, new: str) -> frozenset[str]:
    """Every status a ``kind`` may move to ``new`` from."""
    target = _member(kind, new)
    return frozenset(old for old, news in MOVES[Kind(kind)].items() if target in news)


def checked_sources(kind: Kind, new: str, frm: Iterable[str] | None = None) -> frozenset[str]:
    """The statuses a move to ``new`` may start from: ``frm`` (the caller's expectation,
    each one checked) or, without it, every source the table allows."""
    if frm is None:
        found = sources(kind, new)
        if not found:
            raise IllegalTransition(f"no {kind} may move to {new}")
        return found
    expected = frozenset(_member(kind, old) for old in frm)
    for old in expected:
        check_move(kind, old, new)
    return expected
