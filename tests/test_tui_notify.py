"""The dashboard tells a person what needs them (a toast naming the task, the bell; the
webhook when it runs the engine) and shows where the money goes today."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from textual.notifications import Notification as Toast
from tui_fixtures import press_to_quit, record_notifications

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.db import close_database, immediate, open_database
from convergio_tui.store.models import Escalation, Event, Ledger, Plan, Project, Run, Task, Wave
from convergio_tui.store.queries import pending
from convergio_tui.store.states import TaskStatus
from convergio_tui.store.transitions import move_task
from convergio_tui.thor.escalations import open_escalation
from convergio_tui.tui.app import ConvergioApp, create_app
from convergio_tui.tui.testing import wait_for_main, wait_until
from convergio_tui.tui.widgets.budget_gauge import BudgetGauge

SIZE = (160, 45)


def on_thread(work: Callable[[], object]) -> None:
    """Write as another process would: on another thread, with its own connection."""

    def run() -> None:
        try:
            work()
        finally:
            close_database()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)


def escalate(task_id: int) -> None:
    """What Thor does after a task's last rejected round."""
    with immediate():
        assert move_task(task_id, TaskStatus.ESCALATED)
        open_escalation(Task.get_by_id(task_id))


def sample_app(
    home: Path, config: Config, plan_id: int
) -> tuple[ConvergioApp, list[int], list[Toast]]:
    """The dashboard on the sample, and the bells it rang (Textual's App.bell)."""
    app = create_app(home / "convergio.db", sample_data.sample_config(config), plan_id,
                     poll_interval_s=0.1, clock=lambda: sample_data.SAMPLE_NOW)  # fmt: skip
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    # Every toast raised, kept: one expires after 8-12 s, and a loaded machine can take
    # longer than that to reach the line that looks for it.
    return app, bells, record_notifications(app)


def toasts(notes: list[Toast], title: str) -> list[Toast]:
    return [n for n in notes if n.title == title]


def test_an_escalation_is_a_toast_naming_the_task_and_rings_the_bell(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-02"]  # running: Thor is about to reject it a third time

    async def scenario() -> None:
        app, bells, notes = sample_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await wait_until(pilot, lambda: app.screen.announcer.after_event is not None)
            # The sample is past the budget alert: that toast rings first, once.
            await wait_until(pilot, lambda: bool(toasts(notes, "Budget alert")))
            rung = len(bells)
            assert toasts(notes, "Escalated: T2-02") == []  # T2-03's, older, is not news
            on_thread(lambda: escalate(task_id))
            await wait_until(pilot, lambda: bool(toasts(notes, "Escalated: T2-02")))
            (toast,) = toasts(notes, "Escalated: T2-02")
            assert toast.message == ("T2-02 “Add rate limiting to login” was rejected by Thor and "
                                     "waits for your decision. Press e to decide.")  # fmt: skip
            assert toast.severity == "warning"
            assert len(bells) == rung + 1
            assert toasts(notes, "Escalated: T2-03") == []

    asyncio.run(scenario())
    assert [v.task_code for v in pending()] == ["T2-03", "T2-02"]  # the database agrees
    assert Task.get_by_id(task_id).status == "escalated"


def test_no_bell_when_the_person_turned_it_off_but_still_the_toast(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    config = shipped_config.model_copy(
        update={"notify": shipped_config.notify.model_copy(update={"bell": False})}
    )

    async def scenario() -> None:
        app, bells, notes = sample_app(isolated_home, config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await wait_until(pilot, lambda: app.screen.announcer.after_event is not None)
            on_thread(lambda: escalate(sample.task_ids["T2-01"]))
            await wait_until(pilot, lambda: bool(toasts(notes, "Escalated: T2-01")))
            assert bells == []

    asyncio.run(scenario())


def test_engine_errors_providers_going_down_and_a_failed_plan_are_toasts(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    from convergio_tui.engine.events import record
    from convergio_tui.store.models import ProviderHealth
    from convergio_tui.store.transitions import move_plan

    task_id = sample.task_ids["T2-05"]

    async def scenario() -> None:
        app, bells, notes = sample_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await wait_until(pilot, lambda: bool(toasts(notes, "Budget alert")))
            rung = len(bells)
            on_thread(lambda: record(  # as the executor journals a task's engine error
                "engine.error", "T2-05: engine error: FileNotFoundError: /demo/convergio.db",
                level="error", plan_id=sample.plan_id, task_id=task_id))  # fmt: skip
            await wait_until(pilot, lambda: bool(toasts(notes, "Engine error: T2-05")))
            (error,) = toasts(notes, "Engine error: T2-05")
            assert error.severity == "error"
            assert error.message == (f"T2-05 (plan #{sample.plan_id}) stopped: engine error; a "
                                     "person must look.\nT2-05: engine error: FileNotFoundError: "
                                     "/demo/convergio.db")  # fmt: skip
            on_thread(lambda: ProviderHealth.update(state="down", last_error="claude: not on PATH")
                      .where(ProviderHealth.provider == "claude").execute())  # fmt: skip
            await wait_until(pilot, lambda: bool(toasts(notes, "Provider down: claude")))
            on_thread(lambda: move_plan(sample.plan_id, "failed"))
            await wait_until(pilot, lambda: bool(toasts(notes, f"Plan failed: #{sample.plan_id}")))
            assert len(bells) == rung + 3

    asyncio.run(scenario())


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, object]]]]:
    got: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()
    server.server_close()


def test_a_dashboard_that_runs_the_engine_calls_the_webhook_and_stops_its_thread(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config,
    hook: tuple[str, list[dict[str, object]]],
) -> None:  # fmt: skip
    url, got = hook
    config = shipped_config.model_copy(update={"notify": shipped_config.notify.model_copy(
        update={"webhook_url": url, "desktop": False})})  # fmt: skip
    before = set(threading.enumerate())

    async def scenario() -> None:
        app, _, notes = sample_app(isolated_home, config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            announcer = app.screen.announcer
            assert not announcer.hosting  # watching only: the runner sends the webhook
            announcer.hosting = True  # as with --run, without starting an engine here
            await wait_until(pilot, lambda: announcer.after_event is not None)
            on_thread(lambda: escalate(sample.task_ids["T2-01"]))
            await wait_until(pilot, lambda: bool(toasts(notes, "Escalated: T2-01")))
            await press_to_quit(pilot, "q")

    asyncio.run(scenario())
    assert [g["text"] for g in got] == [
        "Convergio · Escalated: T2-01: T2-01 “Implement login endpoint” was rejected by Thor "
        "and waits for your decision"]  # fmt: skip
    assert [t for t in set(threading.enumerate()) - before if t.name == "convergio-notify"] == []


NOW = sample_data.SAMPLE_NOW  # 2026-05-20 15:00 UTC: nine hours of the budget day left


def money_day(path: Path) -> None:
    """Two plans' runs charged today, one reservation held, one overrun."""
    open_database(path)
    project = Project.create(name="demo", path="/src/demo")
    alpha = Plan.create(project=project, name="alpha", status="doing")
    beta = Plan.create(project=project, name="beta")
    wave_a, wave_b = (Wave.create(plan=p, seq=1, name="w1") for p in (alpha, beta))
    t1, t2 = (Task.create(plan=alpha, wave=wave_a, code=c, title=c, prompt="p", type="coding")
              for c in ("A-T1", "A-T2"))  # fmt: skip
    claude = Run.create(task=t1, provider="claude", model="claude-opus-4-5", status="succeeded")
    copilot = Run.create(task=t1, provider="copilot", model="gpt-5", status="succeeded")
    review = Run.create(wave=wave_b, provider="gemini", model="gemini-2.5-pro", status="succeeded")
    held = Run.create(task=t2, provider="claude", model="claude-opus-4-5")
    for run, usd, ago, n in (
        (claude, 1.5, 1800, 0),
        (copilot, 0.12, 600, 12),
        (review, 0.25, 900, 0),
    ):
        Ledger.create(ts=NOW - ago, provider=run.provider, model=run.model, run=run, kind="charge",
                      usd=usd, premium=True, ai_credits=n)  # fmt: skip
    Ledger.create(ts=NOW - 60, provider="claude", model="claude-opus-4-5", run=held,
                  kind="reserve", usd=2.0, premium=True)  # fmt: skip
    Ledger.create(ts=NOW - 7200, provider="claude", model="x", kind="charge", usd=0.5, premium=True)
    Event.create(ts=NOW - 1700, level="warning", kind="budget.overrun", plan=alpha, task=t1,
                 message="claude cost more than reserved",
                 data={"run": claude.id, "provider": "claude", "model": "claude-opus-4-5",
                       "reserved": 1.0, "actual": 1.5})  # fmt: skip
    close_database()


def test_the_budget_panel_shows_burn_forecast_providers_plans_in_flight_and_overruns(
    isolated_home: Path, shipped_config: Config
) -> None:
    path = isolated_home / "convergio.db"
    money_day(path)
    config = sample_data.sample_config(shipped_config)  # the budget day in UTC

    async def scenario() -> None:
        app = create_app(path, config, 1, poll_interval_s=0.1, clock=lambda: NOW)
        async with app.run_test(size=(220, 60)) as pilot:
            await wait_for_main(pilot)
            gauge = app.screen.query_one(BudgetGauge)
            await wait_until(pilot, lambda: bool(gauge.lines()))
            # $2.37 spent ($0.50 of it two hours ago); the last hour's $1.87 since its first
            # charge 30 minutes ago is $3.74/h: the $7.63 left lasts 2h02m.
            assert gauge.lines() == {
                "budget-summary": "$2.37/$10.00 24% · $5.63 headroom · $2.00 reserved",
                "budget-bar": gauge.lines()["budget-bar"],
                "budget-burn": "burn $3.74/h · cap in 2h02m at this rate",
                "budget-providers": "claude $2.00 · copilot 12 credits ($0.12) · gemini $0.25",
                "budget-flight": "in flight $2.00: A-T2 claude $2.00",
                "budget-plans": "#1 alpha $1.62 incl. 12 credits · other $0.50 · #2 beta $0.25",
            }  # fmt: skip
            assert gauge.border_subtitle == "1 OVERRUN: A-T1 claude $1.50 > $1.00 reserved"

    asyncio.run(scenario())
    open_database(path)
    held = Ledger.select().where(Ledger.kind == "reserve").get()
    assert (held.usd, Escalation.select().count()) == (2.0, 0)  # reading wrote nothing
