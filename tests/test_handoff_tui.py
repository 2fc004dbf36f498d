"""The dashboard's hand-off: once the plan is done the main screen shows the final wave
branch, its diff stat and the merge command, and says so once in a notification."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine_fixtures import engine_config, import_spec, task, uid
from textual.notifications import Notification
from tui_fixtures import press_to_quit, record_notifications

from convergio_tui.engine.executor import Executor
from convergio_tui.store.models import Event
from convergio_tui.tui.app import create_app
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_for_polls, wait_until
from convergio_tui.tui.widgets.handoff_panel import HandoffPanel

TWO_WAVES = [
    [task("T1", "SIM: write notes/a.txt <<<alpha\\n>>>")],
    [task("T2", "SIM: write notes/b.txt <<<beta\\n>>>")],
]


def notices(notes: list[Notification], title: str) -> list[str]:
    """The notifications raised so far with ``title`` (recorded: a toast expires)."""
    return [n.message for n in notes if n.title == title]


def test_the_in_process_engine_finishing_shows_the_handoff_once(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, TWO_WAVES)
    final = f"convergio/{uid(plan)}/wave-2"

    async def scenario() -> None:
        app = create_app(engine_db, config, plan, run=True, poll_interval_s=0.1)
        notes = record_notifications(app)
        async with app.run_test(size=(200, 50)) as pilot:
            await wait_for_main(pilot, timeout_s=30)
            panel = app.screen.query_one(HandoffPanel)
            assert not panel.display  # hidden while the plan runs
            engine = app.ctx.engine
            assert engine is not None
            await wait_until(pilot, lambda: engine.state == "finished (done)", timeout_s=90)
            await wait_until(pilot, lambda: panel.handoff is not None, timeout_s=30)
            assert panel.display
            # The panel is filled before the next frame draws it, and grows to its content
            # at the frame after: wait for one picture with all of it.
            wanted = (final, "2 files changed, 2 insertions(+)", "notes/a.txt", "merge --no-ff")
            await wait_until(
                pilot, lambda: all(t in screen_text(app) for t in wanted), timeout_s=30
            )
            await wait_for_polls(pilot, 3)  # later polls read nothing new and say nothing new
            assert notices(notes, "Plan done") == [
                f"Plan #{plan} is done: merge {final} into main. "
                "The commands are in the result panel."
            ]
            await press_to_quit(pilot, "q")

    asyncio.run(scenario())
    assert Event.select().where(Event.kind == "plan.handoff").count() == 1


def test_opening_the_dashboard_on_a_done_plan_shows_its_recorded_handoff(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, TWO_WAVES)
    assert Executor(config, plan).run().status == "done"
    final = f"convergio/{uid(plan)}/wave-2"

    async def scenario() -> None:
        app = create_app(engine_db, config, plan, poll_interval_s=0.1)
        async with app.run_test(size=(200, 50)) as pilot:
            await wait_for_main(pilot)
            panel = app.screen.query_one(HandoffPanel)
            await wait_until(pilot, lambda: panel.handoff is not None)
            assert panel.handoff is not None and panel.handoff.branch == final
            assert f"merge {final} into main" in str(panel.border_title)
            # The panel is shown when its read arrives and drawn at the next frame.
            await wait_until(pilot, lambda: "2 files changed" in screen_text(app), timeout_s=30)

    asyncio.run(scenario())


def test_the_panel_stays_hidden_while_the_plan_is_not_done(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: mode=fail")]])
    assert Executor(config, plan).run().status == "doing"  # escalated: a person must act

    async def scenario() -> None:
        app = create_app(engine_db, config, plan, poll_interval_s=0.1)
        notes = record_notifications(app)
        async with app.run_test(size=(200, 50)) as pilot:
            await wait_for_main(pilot)
            await wait_for_polls(pilot, 3)
            assert not app.screen.query_one(HandoffPanel).display
            assert notices(notes, "Plan done") == []

    asyncio.run(scenario())
