"""Re-running a task from its detail (``r``): a small form (provider, model, note),
cancellable; the task goes back to the queue in a new round; then ``g`` runs the plan
in the dashboard and the real engine completes the new round."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine_fixtures import engine_config, import_spec, sim_calls, task
from textual.pilot import Pilot
from textual.widgets import Select
from tui_fixtures import make_app, record_notifications

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import Escalation, Plan, Run, Task, Wave
from convergio_tui.tui.app import ConvergioApp, create_app
from convergio_tui.tui.screens.rerun import RerunModal
from convergio_tui.tui.screens.task_detail import TaskDetailScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until

SIZE = (160, 45)


async def open_detail(pilot: Pilot[None], app: ConvergioApp, task_id: int) -> TaskDetailScreen:
    """The task's detail, read."""
    await wait_for_main(pilot, timeout_s=30)
    app.push_screen(TaskDetailScreen(app.ctx, task_id))
    await wait_until(
        pilot, lambda: isinstance(app.screen, TaskDetailScreen) and app.screen.detail is not None
    )
    screen = app.screen
    assert isinstance(screen, TaskDetailScreen)
    return screen


async def open_form(pilot: Pilot[None], app: ConvergioApp) -> RerunModal:
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(app.screen, RerunModal))
    modal = app.screen
    assert isinstance(modal, RerunModal)
    # Composed and the note field focused (deferred) before anything is typed into it.
    await wait_until(
        pilot, lambda: app.focused is not None and app.focused.id == "rerun-note", timeout_s=30
    )
    return modal


def test_r_reruns_a_done_task_elsewhere_with_a_note(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T1-02"]  # done in round 1

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        notes = record_notifications(app)  # a toast expires; what was said stays here
        async with app.run_test(size=SIZE) as pilot:
            detail = await open_detail(pilot, app, task_id)
            # Cancelled: nothing written.
            await open_form(pilot, app)
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                "Re-run T1-02", "Round 2 goes back to the queue")), timeout_s=30)  # fmt: skip
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is detail)
            assert Task.get_by_id(task_id).status == "done"
            # Asked for: on gemini, with a note typed in the field that has the focus.
            modal = await open_form(pilot, app)
            modal.query_one(Select).value = "gemini"
            await pilot.press(*"cover the expiry path", "enter")
            await wait_until(pilot, lambda: Task.get_by_id(task_id).status == "queued")
            await wait_until(pilot, lambda: any(n.title == "Re-run" for n in notes))
            said = next(n.message for n in notes if n.title == "Re-run")
            assert "T1-02 goes back to the queue: round 2 on gemini·" in said
            assert f"Press g on the plan to run it here, or: convergio run {sample.plan_id}" in said
            await wait_until(
                pilot, lambda: "round 2" in screen_text(app) and "queued" in screen_text(app)
            )

    asyncio.run(scenario())
    t = Task.get_by_id(task_id)
    assert (t.round, t.provider, t.requested_provider, t.validated_by) == (
        2,
        "gemini",
        "gemini",
        None,
    )
    assert "REVIEWER NOTE (before round 2" in t.prompt and "cover the expiry path" in t.prompt
    assert Wave.get_by_id(t.wave_id).status == "running"  # wave 1 was done


def test_r_on_an_escalated_task_closes_its_escalation_and_is_dimmed_on_a_running_one(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            running = await open_detail(pilot, app, sample.task_ids["T2-05"])
            assert not running.check_action("rerun", ())
            await pilot.press("r")
            await pilot.pause()
            assert app.screen is running  # no form for a running task
            await pilot.press("escape")
            await open_detail(pilot, app, sample.task_ids["T2-03"])
            await open_form(pilot, app)
            await pilot.press("enter")  # no note, same provider
            await wait_until(
                pilot, lambda: Task.get_by_id(sample.task_ids["T2-03"]).status == "queued"
            )

    asyncio.run(scenario())
    assert Escalation.get_by_id(sample.escalation_id).status == "retried"
    assert Task.get_by_id(sample.task_ids["T2-05"]).status == "running"


def test_rerun_then_g_and_the_engine_in_the_dashboard_completes_the_new_round(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [
        [task("T1", "Notes.\nSIM: append NOTES.md <<<one more\\n>>>", provider="claude")],
    ])  # fmt: skip

    async def scenario() -> None:
        app = create_app(engine_db, config, plan, poll_interval_s=0.1)
        # Read after the new round ran: its toast has long expired by then.
        notes = record_notifications(app)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot, timeout_s=30)
            await pilot.press("g")  # first run, here
            await wait_until(pilot, lambda: Plan.get_by_id(plan).status == "done", timeout_s=90)
            engine = app.ctx.engine
            assert engine is not None
            await wait_until(pilot, lambda: engine.state == "finished (done)", timeout_s=30)
            t1 = Task.get(Task.plan == plan, Task.code == "T1")
            await open_detail(pilot, app, t1.id)
            await open_form(pilot, app)
            await pilot.press(*"say what changed", "enter")
            # The engine here had finished: the re-run starts it again, and it completes
            # round 2.
            await wait_until(
                pilot,
                lambda: (row := Task.get_by_id(t1.id)).round == 2 and row.status == "done",
                timeout_s=90,
            )
            await wait_until(pilot, lambda: engine.state == "finished (done)", timeout_s=30)
            said = next(n.message for n in notes if n.title == "Re-run")
            assert "The engine in this dashboard runs it." in said

    asyncio.run(scenario())
    t1 = Task.get(Task.plan == plan, Task.code == "T1")
    assert (t1.status, t1.round, t1.validated_by) == ("done", 2, "thor")
    assert Run.select().where(Run.task == t1.id, Run.round == 2).count() == 1
    assert Plan.get_by_id(plan).status == "done"
    assert any("say what changed" in (c["prompt"] or "") for c in sim_calls(sim_bin))
