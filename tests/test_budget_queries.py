"""The budget panel's reads: today's spend per plan, the premium charges the burn rate
reads, the reservations in flight and the journal's news, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from convergio_tui.store import queries as q
from convergio_tui.store.models import Event, Ledger, Plan, Project, Run, Task, Wave

DAY = (1000.0, 1000.0 + 86400)


def plan_with_runs(name: str) -> tuple[int, Task, Wave]:
    project = Project.get_or_create(name="demo", path="/src/demo")[0]
    plan = Plan.create(project=project, name=name)
    wave = Wave.create(plan=plan, seq=1, name="w1")
    task = Task.create(
        plan=plan, wave=wave, code=f"{name}-T1", title="t", prompt="p", type="coding"
    )
    return int(plan.id), task, wave


def charge(run: Run, usd: float, ts: float, *, premium: bool = True, credits: float = 0.0) -> None:
    Ledger.create(ts=ts, provider=run.provider, model=run.model, run=run, kind="charge", usd=usd,
                  premium=premium, ai_credits=credits)  # fmt: skip


def test_spend_per_plan_counts_task_and_wave_runs_of_the_day_only(db_file: Path) -> None:
    first, task, wave = plan_with_runs("alpha")
    second, other, _ = plan_with_runs("beta")
    run = Run.create(task=task, provider="claude", model="opus")
    review = Run.create(wave=wave, provider="gemini", model="pro")  # Thor's cross-review
    copilot = Run.create(task=other, provider="copilot", model="gpt-5")
    charge(run, 1.5, 2000)
    charge(review, 0.25, 3000)
    charge(copilot, 0.12, 4000, credits=12)
    charge(run, 9.0, 500)  # yesterday

    spent = q.spend_by_plan(*DAY)

    assert [(s.plan_id, s.name, round(s.usd, 2), s.ai_credits) for s in spent] == [
        (first, "alpha", 1.75, 0.0), (second, "beta", 0.12, 12.0)]  # fmt: skip


def test_premium_charges_are_the_days_premium_charges_in_order(db_file: Path) -> None:
    _, task, _ = plan_with_runs("alpha")
    run = Run.create(task=task, provider="claude", model="opus")
    charge(run, 0.5, 5000)
    charge(run, 0.25, 2000)
    charge(run, 3.0, 2500, premium=False)  # free tier: not burn

    assert q.premium_charges(*DAY) == ((2000.0, 0.25), (5000.0, 0.5))


def test_reservations_in_flight_are_those_not_yet_released(db_file: Path) -> None:
    _, task, _ = plan_with_runs("alpha")
    held = Run.create(task=task, provider="claude", model="opus")
    settled = Run.create(task=task, provider="gemini", model="pro")
    for run, usd in ((held, 2.0), (settled, 1.5)):
        Ledger.create(provider=run.provider, model=run.model, run=run, kind="reserve", usd=usd,
                      premium=True)  # fmt: skip
    Ledger.create(
        provider="gemini", model="pro", run=settled, kind="release", usd=1.5, premium=True
    )

    (only,) = q.reservations_in_flight()

    assert (only.run_id, only.provider, only.usd, only.task_code) == (
        held.id,
        "claude",
        2.0,
        "alpha-T1",
    )


def test_news_is_the_warnings_and_errors_after_what_was_read(db_file: Path) -> None:
    _, task, _ = plan_with_runs("alpha")
    Event.create(kind="wave.done", level="info", message="old news")
    seen = q.latest_event_id()
    Event.create(kind="plan.started", level="info", message="not news")
    Event.create(kind="escalation", level="warning", task=task, plan=task.plan_id,
                 message="alpha-T1 escalated", data={"escalation": 1})  # fmt: skip

    (line,) = q.news_after(seen)

    assert (line.kind, line.task_code, line.task_title, line.data) == (
        "escalation", "alpha-T1", "t", {"escalation": 1})  # fmt: skip
    assert q.news_after(line.id) == ()
