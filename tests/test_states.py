"""The state machine (store/states.py): every status, every allowed and every forbidden
move of each kind, and the groups callers ask about."""

from __future__ import annotations

import itertools

import pytest

from convergio_tui.store import states
from convergio_tui.store.states import (
    EscalationStatus,
    IllegalTransition,
    Kind,
    PlanStatus,
    RunStatus,
    SummaryStatus,
    TaskStatus,
    WaveStatus,
    can_move,
    check_move,
    checked_sources,
    sources,
)

# The strings stored in the database (and printed by `convergio plan show --json`):
# renaming one breaks every existing database, so this list is the contract.
STORED = {
    Kind.TASK: "pending queued running submitted validating done rejected escalated failed "
    "blocked skipped cancelled",
    Kind.WAVE: "pending running validating done blocked failed cancelled",
    Kind.PLAN: "todo doing paused done failed cancelled",
    Kind.RUN: "running succeeded failed timeout cancelled interrupted refused",
    Kind.ESCALATION: "pending approved retried rejected",
}

# Every move the engine, Thor and a person make, written out once more by hand: a change
# to the table in store/states.py must be made here too, on purpose.
ALLOWED = {
    Kind.TASK: """
        pending -> queued skipped cancelled
        queued -> running blocked skipped cancelled queued escalated
        blocked -> running blocked skipped cancelled
        running -> submitted queued blocked cancelled escalated
        submitted -> validating queued blocked cancelled escalated
        validating -> done queued escalated blocked cancelled
        done -> queued escalated
        rejected -> queued escalated cancelled
        escalated -> done queued failed cancelled
        failed -> queued
        skipped -> queued
        cancelled -> queued
    """,
    Kind.WAVE: """
        pending -> running blocked cancelled
        running -> validating done failed blocked cancelled
        validating -> done running failed blocked cancelled
        blocked -> running blocked cancelled done failed
        failed -> running blocked cancelled
        done -> running
    """,
    Kind.PLAN: """
        todo -> doing paused cancelled
        doing -> paused done failed cancelled
        paused -> doing done failed cancelled
        failed -> doing cancelled
        done -> done doing cancelled
    """,
    Kind.RUN: "running -> succeeded failed timeout cancelled interrupted",
    Kind.ESCALATION: "pending -> approved retried rejected",
}


def allowed_pairs(kind: Kind) -> set[tuple[str, str]]:
    pairs = set()
    for line in ALLOWED[kind].strip().splitlines():
        old, news = line.split("->")
        pairs |= {(old.strip(), new) for new in news.split()}
    return pairs


def every_pair(kind: Kind) -> list[tuple[str, str]]:
    values = [str(s) for s in states.STATUSES[kind]]
    return list(itertools.product(values, values))


@pytest.mark.parametrize("kind", list(Kind))
def test_statuses_are_the_stored_strings(kind: Kind) -> None:
    assert {str(s) for s in states.STATUSES[kind]} == set(STORED[kind].split())


def test_a_run_summary_reports_a_plan_status_or_stopped_or_waiting() -> None:
    assert {str(s) for s in SummaryStatus} == {*map(str, PlanStatus), "stopped", "waiting"}


@pytest.mark.parametrize("kind", list(Kind))
def test_every_allowed_move_passes_and_every_other_is_refused(kind: Kind) -> None:
    allowed = allowed_pairs(kind)
    walked = 0
    for old, new in every_pair(kind):
        if (old, new) in allowed:
            check_move(kind, old, new)
            assert can_move(kind, old, new)
        else:
            with pytest.raises(IllegalTransition, match=f"cannot move from {old} to {new}"):
                check_move(kind, old, new)
            assert not can_move(kind, old, new)
        walked += 1
    assert walked == len(states.STATUSES[kind]) ** 2
    assert allowed <= set(every_pair(kind))  # the hand-written list names real statuses


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [(Kind.TASK, "done", "finished"), (Kind.TASK, "doing", "done"), (Kind.PLAN, "todo", "queued"),
     (Kind.RUN, "running", "ok"), (Kind.WAVE, "Running", "done")],
)  # fmt: skip
def test_an_unknown_status_is_refused_by_name(kind: Kind, old: str, new: str) -> None:
    with pytest.raises(IllegalTransition, match=f"is not a {kind} status"):
        check_move(kind, old, new)


def test_the_refusal_says_where_the_status_may_go() -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_move(Kind.TASK, "cancelled", "running")
    assert "from cancelled it may move to: queued" in str(refused.value)
    with pytest.raises(IllegalTransition) as refused:
        check_move(Kind.WAVE, "cancelled", "running")
    assert "from cancelled it may move to: nothing" in str(refused.value)
    with pytest.raises(IllegalTransition) as refused:
        check_move(Kind.PLAN, "paused", "paused")
    assert "cancelled, doing, done, failed" in str(refused.value)


def test_a_move_from_the_callers_expected_statuses_is_checked_each() -> None:
    assert checked_sources(Kind.TASK, "queued", ["running"]) == {TaskStatus.RUNNING}
    with pytest.raises(IllegalTransition, match="from pending to submitted"):
        checked_sources(Kind.TASK, "submitted", ["running", "pending"])
    assert checked_sources(Kind.TASK, "submitted") == {TaskStatus.RUNNING}
    with pytest.raises(IllegalTransition, match="no task may move to pending"):
        checked_sources(Kind.TASK, "pending")


def test_finished_tasks_only_go_back_to_the_queue_or_a_done_one_to_a_person() -> None:
    """A person's re-run queues any finished task again; only the wave review escalates
    a done one; nothing else moves a finished task."""
    for status in states.TASK_FINISHED - {TaskStatus.DONE}:
        assert {new for new in TaskStatus if can_move(Kind.TASK, status, new)} == {"queued"}
    assert {new for new in TaskStatus if can_move(Kind.TASK, "done", new)} == {
        "queued",
        "escalated",
    }
    assert states.TASK_FINISHED | {TaskStatus.ESCALATED} == states.TASK_RERUNNABLE
    assert all(can_move(Kind.TASK, s, "queued") for s in states.TASK_RERUNNABLE)


def test_the_groups_agree_with_the_moves() -> None:
    assert sources(Kind.TASK, "cancelled") == states.TASK_CANCELLABLE
    assert set(TaskStatus) == states.TASK_CANCELLABLE | states.TASK_FINISHED
    assert {"failed", "skipped", "cancelled"} == states.TASK_DEAD_END
    assert sources(Kind.TASK, "skipped") == states.TASK_NOT_STARTED
    assert sources(Kind.TASK, "running") == states.TASK_DISPATCHABLE
    assert sources(Kind.TASK, "queued") & sources(Kind.TASK, "blocked") >= states.TASK_IN_FLIGHT
    assert states.TASK_IN_FLIGHT < states.TASK_ACTIVE <= states.TASK_CANCELLABLE
    assert sources(Kind.TASK, "queued") & sources(Kind.TASK, "escalated") >= states.TASK_REJECTABLE
    assert states.TASK_NEEDS_PERSON.isdisjoint(states.TASK_ACTIVE)
    assert sources(Kind.PLAN, "paused") == states.PLAN_PAUSABLE
    assert sources(Kind.PLAN, "doing") == (
        states.PLAN_RESUMABLE | states.PLAN_STARTABLE | states.PLAN_REOPENABLE
    )
    assert states.PLAN_UNDER_WAY.isdisjoint(states.PLAN_FINISHED)
    assert sources(Kind.WAVE, "running") >= states.WAVE_STARTABLE | states.WAVE_REOPENABLE
    # A closed wave stays closed, except a done one whose task a person re-runs.
    assert {(closed, new) for closed in states.WAVE_CLOSED for new in WaveStatus
            if can_move(Kind.WAVE, closed, new)} == {("done", "running")}  # fmt: skip
    assert {new for new in RunStatus if can_move(Kind.RUN, "running", new)} == states.RUN_FINISHED
    assert states.RUN_STOPPED <= states.RUN_FINISHED
    assert RunStatus.REFUSED not in sources(Kind.RUN, "failed") | states.RUN_FINISHED


def test_statuses_compare_hash_and_print_as_their_strings() -> None:
    assert "escalated" in states.TASK_CANCELLABLE and TaskStatus.DONE == "done"
    assert f"{PlanStatus.PAUSED}" == "paused" and str(WaveStatus.BLOCKED) == "blocked"
    assert {"done": 1}[TaskStatus.DONE] == 1 and EscalationStatus("retried") == "retried"


def test_new_rows_start_in_a_status_of_their_kind() -> None:
    from convergio_tui.store.models import Escalation, Plan, Run, Task, Wave

    starts = {Kind.TASK: Task, Kind.WAVE: Wave, Kind.PLAN: Plan, Kind.RUN: Run,
              Kind.ESCALATION: Escalation}  # fmt: skip
    assert {kind: model.status.default for kind, model in starts.items()} == {
        Kind.TASK: "pending", Kind.WAVE: "pending", Kind.PLAN: "todo", Kind.RUN: "running",
        Kind.ESCALATION: "pending",
    }  # fmt: skip
    for kind, model in starts.items():
        assert model.status.default in states.STATUSES[kind]
