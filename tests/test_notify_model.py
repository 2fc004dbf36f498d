"""What is worth telling a person, in which words, and only once: the pure side of
notifications (engine/notify/model.py)."""

from __future__ import annotations

from convergio_tui.engine.events import PlanChanged, TaskChanged
from convergio_tui.engine.notify.model import (
    NewsTracker,
    budget_level,
    from_engine_event,
    from_journal,
    plan_finished,
)
from convergio_tui.store.queries.journal import JournalLine


def line(kind: str, message: str, level: str = "warning", **fields: object) -> JournalLine:
    return JournalLine(id=fields.pop("id", 1), ts=0.0, level=level, kind=kind, message=message,
                       **fields)  # type: ignore[arg-type]  # fmt: skip


ESCALATED = line(
    "escalation", "T2-03 escalated after 3 rejection(s): waits for a person", plan_id=1,
    task_id=7, task_code="T2-03", task_title="Add the login form", data={"escalation": 4},
)  # fmt: skip


def test_an_escalation_names_the_task_by_code_and_title() -> None:
    note = from_journal(ESCALATED)
    assert note is not None
    assert (note.event, note.level, note.title) == ("escalation", "warning", "Escalated: T2-03")
    assert (
        note.text == "T2-03 “Add the login form” was rejected by Thor and waits for your decision"
    )
    assert note.detail == ESCALATED.message  # the engine's own words stay local


def test_a_waves_escalation_names_the_wave() -> None:
    note = from_journal(line("escalation", "wave 2 escalated: 1 failed (build); waits for a person",
                             plan_id=3, data={"escalation": 9, "wave": 5}))  # fmt: skip
    assert note is not None and note.title == "Escalated: wave 2"
    assert note.text.startswith("wave 2 of plan #3 failed its review")


def test_engine_errors_and_refusals_keep_the_error_text_out_of_what_may_leave() -> None:
    error = from_journal(line("engine.error", "T3: engine error: FileNotFoundError: /x/secret-path",
                              level="error", plan_id=1, task_code="T3", task_id=3))  # fmt: skip
    refused = from_journal(line("privacy.refused", "T4: sensitive task routed to a cloud CLI",
                                level="error", plan_id=1, task_code="T4", task_id=4))  # fmt: skip
    assert error is not None and refused is not None
    assert (error.event, error.title) == ("engine.error", "Engine error: T3")
    assert error.text == "T3 (plan #1) stopped: engine error; a person must look"
    assert "secret-path" not in error.title + error.text and "secret-path" in error.detail
    assert (refused.event, refused.title) == ("engine.error", "Privacy refused: T4")


def test_budget_rows_and_cooldowns() -> None:
    alert = from_journal(line("budget.alert", "premium spend $1.60 is 80% of the $2.00 daily cap",
                              data={"pct": 80.0, "threshold": 80}))  # fmt: skip
    capped = from_journal(line("budget.capped", "premium spend $2.00 is 100% of the cap",
                               level="error", data={"pct": 100.0}))  # fmt: skip
    cooling = from_journal(
        line("provider.cooldown", "claude cooling down for 30s after rate limit")
    )
    assert alert is not None and (alert.title, alert.text) == (
        "Budget alert", "premium spend is 80% of the daily cap")  # fmt: skip
    assert capped is not None and (capped.event, capped.level) == ("budget.capped", "error")
    assert cooling is not None and (cooling.event, cooling.title) == (
        "provider.down", "Provider cooldown: claude")  # fmt: skip


def test_ordinary_journal_rows_are_not_news() -> None:
    assert from_journal(line("wave.done", "wave 1 passed", level="info")) is None
    assert from_journal(line("route.fallback", "claude -> copilot")) is None
    assert from_journal(line("plan.waiting", "waiting for a cooling provider")) is None


def test_a_plan_that_finishes_or_fails_from_the_engines_event() -> None:
    done = from_engine_event(PlanChanged(1, "done"), "feature")
    failed = from_engine_event(PlanChanged(2, "failed"), "")
    assert done is not None and (done.event, done.level, done.title) == (
        "plan.done", "info", "Plan done: #1")  # fmt: skip
    assert done.text == "plan #1 “feature” is done: every wave passed Thor's review"
    assert failed is not None and failed.event == "plan.failed" and failed.level == "error"
    assert from_engine_event(PlanChanged(1, "doing")) is None
    assert from_engine_event(TaskChanged(1, "escalated", "T1")) is None  # read from the journal


def test_the_budget_gauge_levels_in_words() -> None:
    alert = budget_level("alert", spent=16.0, cap=20.0, pct=80.0, enforce=True)
    capped = budget_level("capped", spent=20.0, cap=20.0, pct=100.0, enforce=True)
    assert alert.text == "premium spend is 80% of the $20.00 daily cap ($16.00)"
    assert capped.text.endswith("premium providers are out of routing until tomorrow")


def test_the_tracker_tells_each_change_once_after_its_baseline() -> None:
    news = NewsTracker()
    assert news.plan(1, "feature", "done") == []  # it was done before the reader came
    assert news.plan(2, "x", "doing") == [] and news.plan(2, "x", "doing") == []
    assert [n.event for n in news.plan(2, "x", "failed")] == ["plan.failed"]
    assert news.plan(2, "x", "failed") == []


def test_a_provider_going_down_is_told_once_until_it_is_up_again() -> None:
    news = NewsTracker()
    assert news.health([("claude", "up", ""), ("gemini", "down", "no CLI")]) == []  # baseline
    (down,) = news.health([("claude", "cooldown", "429"), ("gemini", "down", "no CLI")])
    assert (down.title, down.detail) == ("Provider cooldown: claude", "429")
    assert news.health([("claude", "down", "auth")]) == []  # still not up: already told
    # the cooldown journaled for the same provider is not told a second time
    assert news.journal([line("provider.cooldown", "claude cooling down for 60s")]) == []
    assert news.health([("claude", "up", "")]) == []
    assert len(news.journal([line("provider.cooldown", "claude cooling down for 30s")])) == 1


def test_the_in_process_engine_stopping_is_told_once() -> None:
    news = NewsTracker()
    assert news.engine("running") == []
    (stopped,) = news.engine("failed: FileNotFoundError: demo.db")
    assert (stopped.event, stopped.title) == ("engine.error", "Engine stopped")
    assert "FileNotFoundError" in stopped.detail and "FileNotFoundError" not in stopped.text
    assert news.engine("failed: FileNotFoundError: demo.db") == []


def test_plan_finished_ignores_other_statuses() -> None:
    assert plan_finished(1, "p", "cancelled") is None
