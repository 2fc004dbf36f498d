"""The dashboard's New plan (``N``): an agent drafts a plan from a goal, the screen shows
where each task would go and what it would cost, the person edits it in ``$EDITOR`` or
sends a note back, then imports it and the dashboard runs it. The real engine, database,
sandbox and git; the simulated CLIs as the planner and the agents: the goal carries the
planner's answer as a ``SIM: answer <<<...>>>`` directive (see tests/test_plan_new.py).

``$EDITOR`` runs with the app suspended in a terminal; Textual's test driver cannot
suspend, so there tui/editor.py runs it without a terminal: the tests set ``$EDITOR`` to
a script, and the key press, the write, the editor and the validation are the real ones.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_fixtures import engine_config, git, sim_calls
from test_plan_new import answer, hello_plan
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, TextArea

from convergio_tui.store.models import Plan, Task
from convergio_tui.tui.app import ConvergioApp, create_app
from convergio_tui.tui.screens.main import MainScreen
from convergio_tui.tui.screens.new_plan import BY, NewPlanScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until

SIZE = (160, 45)
DRAFT_S = 90  # a drafting (up to three sandboxed planning runs) on a busy 2-core box


def plan_rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def planning_prompts(log: Path) -> list[str]:
    """The prompts the simulated claude was given, in order (planning runs are claude's)."""
    return [c["prompt"] for c in sim_calls(log) if c["name"] == "claude"]


async def open_new_plan(pilot: Pilot[None], app: ConvergioApp) -> NewPlanScreen:
    """``N`` on the plan; the screen, once its projects were read."""
    await wait_for_main(pilot, timeout_s=30)
    await pilot.press("N")
    await wait_until(pilot, lambda: isinstance(app.screen, NewPlanScreen))
    screen = app.screen
    assert isinstance(screen, NewPlanScreen)
    await project_read(pilot, screen)
    return screen


async def project_read(pilot: Pilot[None], screen: NewPlanScreen) -> None:
    """Wait until the screen is composed (it is pushed before) and has read the projects."""
    await wait_until(
        pilot,
        lambda: any(s.value == "demo" for s in screen.query("#np-project").results(Select)),
        timeout_s=30,
    )


async def showing(pilot: Pilot[None], app: ConvergioApp, *texts: str) -> str:
    """The screen once it shows every one of ``texts`` (a step's result is drawn at the
    next refresh, not at once); fails with what it shows instead."""
    try:
        await wait_until(pilot, lambda: all(t in screen_text(app) for t in texts))
    except TimeoutError:
        raise AssertionError(f"not on the screen: {texts}\n{screen_text(app)}") from None
    return screen_text(app)


async def click(pilot: Pilot[None], selector: str) -> None:
    """Click a button once it is laid out (a draft's actions appear at the next refresh)."""
    button = pilot.app.screen.query_one(selector, Button)
    await wait_until(pilot, lambda: button.region.area > 0 and not button.disabled)
    await pilot.click(selector)


async def ended(pilot: Pilot[None], screen: NewPlanScreen, before: int) -> None:
    """Wait until a step started after ``before`` ended steps has ended too."""
    await wait_until(pilot, lambda: screen.finished > before and screen.busy == "",
                     timeout_s=DRAFT_S)  # fmt: skip


async def draft(pilot: Pilot[None], screen: NewPlanScreen, goal: str) -> None:
    """Type the goal, press Draft, wait until the drafting has ended."""
    before = screen.finished
    screen.query_one("#np-goal", TextArea).text = goal
    await pilot.click("#np-draft")
    await ended(pilot, screen, before)


def test_a_drafted_plan_is_shown_imported_and_run_here(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    config = engine_config(repo, ollama)
    goal = "Add a hello file.\n" + answer(hello_plan())
    written = repo / "plans" / "add-a-hello-file.yaml"

    async def scenario() -> None:
        app = create_app(engine_db, config, None, poll_interval_s=0.1)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_new_plan(pilot, app)
            await draft(pilot, screen, goal)
            assert screen.reviewed is not None, screen_text(app)
            shown = await showing(pilot, app, "hello  1 wave, 1 task for demo", "name: hello")
            # The routing and the cost, as run --dry-run shows them, before anything is stored.
            assert "drafted by claude·" in shown and "in 1 round" in shown
            row = next(line for line in shown.splitlines() if " T1 " in line)
            assert "Write hello.txt" in row and "copilot·" in row
            assert "headroom today $" in shown and "of the $10.00 cap" in shown
            assert "plans/add-a-hello-file.yaml" in shown and "name: hello" in shown
            assert not written.exists() and Plan.select().count() == 0  # nothing yet

            await click(pilot, "#np-import")
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), timeout_s=30)
            plan = Plan.get()
            assert app.ctx.plan_id == plan.id  # the dashboard shows the new plan
            engine = app.ctx.engine
            assert engine is not None and engine.plan_id == plan.id  # and runs it here
            await wait_until(pilot, lambda: engine.state == "finished (done)", timeout_s=120)

    asyncio.run(scenario())
    plan = Plan.get()
    assert (plan.name, plan.status, plan.spec_path) == ("hello", "done", str(written))
    assert [(t.code, t.status) for t in Task.select()] == [("T1", "done")]
    assert written.read_text().startswith(f"# Drafted {BY} (claude·")
    assert yaml.safe_load(written.read_text()) == hello_plan()
    branch = plan_rows(engine_db, "SELECT branch FROM wave ORDER BY seq DESC")[0][0]
    assert git(repo, "show", f"{branch}:hello.txt") == "hi\n"


def revised_plan() -> dict[str, Any]:
    return {"name": "hello", "project": "demo", "waves": [{"name": "one", "tasks": [
        {"code": "T2", "title": "Write hello.md instead", "type": "docs",
         "prompt": "Create hello.md saying hi.", "files": ["hello.md"]}]}]}  # fmt: skip


def test_a_note_drafts_the_plan_again_with_the_note_and_the_plan_it_is_about(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    config = engine_config(repo, ollama)
    first = hello_plan()
    first["waves"][0]["tasks"][0]["prompt"] = "Create hello.txt saying hi."
    note = answer(revised_plan()) + " Make it a markdown file."

    async def scenario() -> None:
        app = create_app(engine_db, config, None, poll_interval_s=0.1)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_new_plan(pilot, app)
            await draft(pilot, screen, "Add a hello file.\n" + answer(first))
            assert screen.reviewed is not None and [r.code for r in screen.reviewed.rows] == ["T1"]

            before = screen.finished
            screen.query_one("#np-note", Input).value = note
            screen.query_one("#np-note", Input).focus()
            await pilot.press("enter")
            await ended(pilot, screen, before)
            assert [r.code for r in screen.reviewed.rows] == ["T2"], screen_text(app)
            shown = await showing(pilot, app, "Write hello.md instead")
            assert "T1 " not in shown
            assert "planning cost so far" in shown
            await pilot.press("escape")  # closed without importing
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

    asyncio.run(scenario())
    prompts = planning_prompts(sim_bin)
    assert len(prompts) == 2 and "NOTE FROM THE PERSON WHO ASKED" not in prompts[0]
    assert f"NOTE FROM THE PERSON WHO ASKED:\n{note}\n\nThe plan this note is about" in prompts[1]
    assert f"```yaml\n# Drafted {BY} (claude·" in prompts[1]  # the draft it is about, quoted
    assert "Create hello.txt saying hi." in prompts[1]
    assert Plan.select().count() == 0 and not (repo / "plans").exists()
    runs = plan_rows(engine_db, "SELECT COUNT(*) FROM run WHERE task_id IS NULL AND "
                     "status = 'succeeded'")  # fmt: skip
    assert runs == [(2,)]  # both draftings ran and were charged as planning runs


def editor(tmp_path: Path, name: str, old: str, new: str) -> str:
    """An ``$EDITOR`` that replaces ``old`` with ``new`` in the file it is given."""
    script = tmp_path / f"{name}.sh"
    script.write_text(f'#!/bin/sh\nsed -i "s/{old}/{new}/" "$1"\n')
    script.chmod(0o755)
    return str(script)


def test_an_edit_is_validated_again_and_the_edited_plan_is_imported(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    written = repo / "plans" / "add-a-hello-file.yaml"
    monkeypatch.delenv("VISUAL", raising=False)

    async def scenario() -> None:
        app = create_app(engine_db, config, None, poll_interval_s=0.1)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_new_plan(pilot, app)
            await draft(pilot, screen, "Add a hello file.\n" + answer(hello_plan()))
            assert screen.valid

            monkeypatch.setenv("EDITOR", editor(tmp_path, "bad", "type: coding", "type: painting"))
            before = screen.finished
            await click(pilot, "#np-edit")
            await ended(pilot, screen, before)
            assert not screen.valid
            shown = await showing(pilot, app, "Your edit does not validate")
            assert "painting" in shown
            assert "add-a-hello-file.yaml:" in shown  # the validator's file:line
            assert screen.query_one("#np-import", Button).disabled

            monkeypatch.setenv("EDITOR", editor(tmp_path, "good", "type: painting", "type: docs"))
            before = screen.finished
            await click(pilot, "#np-edit")
            await ended(pilot, screen, before)
            assert screen.valid
            await showing(pilot, app, "Read back after your edit", "edited by you")
            assert screen.reviewed is not None and screen.reviewed.edited
            await click(pilot, "#np-import")
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), timeout_s=30)
            await wait_until(pilot, lambda: app.ctx.engine is not None)

    asyncio.run(scenario())
    assert "type: docs" in written.read_text()
    assert [(t.code, t.type) for t in Task.select()] == [("T1", "docs")]  # the edited plan
    assert Plan.select().count() == 1


def test_no_valid_plan_after_three_rounds_is_shown_and_nothing_is_imported(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    config = engine_config(repo, ollama)
    goal = "Add a hello file.\nSIM: answer <<<I would rather write a poem.>>>"

    async def scenario() -> None:
        app = create_app(engine_db, config, None, poll_interval_s=0.1)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_new_plan(pilot, app)
            await draft(pilot, screen, goal)
            shown = await showing(pilot, app, "No plan: no valid plan after 3 rounds")
            assert "round 3: plan.yaml:1: expected a mapping at the top level" in shown
            assert "Nothing was written or imported" in shown
            assert screen.reviewed is None and not screen.query_one("#np-actions").display
            # Empty goal: refused before any agent runs.
            screen.query_one("#np-goal", TextArea).text = "  "
            await pilot.click("#np-draft")
            await wait_until(pilot, lambda: "The goal is empty" in screen_text(app))

    asyncio.run(scenario())
    assert Plan.select().count() == 0 and not (repo / "plans").exists()
    assert git(repo, "status", "--porcelain") == ""
    assert len(planning_prompts(sim_bin)) == 3


def test_stop_cancels_the_planning_run_whose_progress_is_shown(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    config = engine_config(repo, ollama)

    async def scenario() -> None:
        app = create_app(engine_db, config, None, poll_interval_s=0.1)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_new_plan(pilot, app)
            before = screen.finished
            screen.query_one("#np-goal", TextArea).text = "Add a hello file.\nSIM: mode=hang"
            await pilot.click("#np-draft")
            # The round and the planner's provider·model, read from its run row.
            await wait_until(pilot, lambda: "round 1 of 3 on claude·" in screen_text(app),
                             timeout_s=DRAFT_S)  # fmt: skip
            assert str(screen.query_one("#np-draft", Button).label) == "Stop"
            await pilot.click("#np-draft")
            await ended(pilot, screen, before)
            await showing(pilot, app, "Stopped: nothing was written or imported.")

    asyncio.run(scenario())
    runs = plan_rows(engine_db, "SELECT status FROM run WHERE task_id IS NULL")
    assert runs == [("interrupted",)]  # the agent was killed, its reservation released
    assert Plan.select().count() == 0 and not (repo / "plans").exists()


def test_from_the_palette_a_file_that_is_there_is_overwritten_only_after_a_yes(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    config = engine_config(repo, ollama)
    theirs = repo / "plans" / "add-a-hello-file.yaml"
    theirs.parent.mkdir()
    theirs.write_text("# somebody's own plan\n")

    async def scenario() -> None:
        app = create_app(engine_db, config, None, poll_interval_s=0.1)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot, timeout_s=30)
            await pilot.press("ctrl+p")
            await pilot.press(*"plan: New")
            await wait_until(pilot, lambda: "plan: New" in screen_text(app))
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, NewPlanScreen))
            screen = app.screen
            assert isinstance(screen, NewPlanScreen)
            await project_read(pilot, screen)
            await draft(pilot, screen, "Add a hello file.\n" + answer(hello_plan()))
            await showing(pilot, app, "another file is there")

            await click(pilot, "#np-import")
            await wait_until(pilot, lambda: "exists and is not this draft" in screen_text(app))
            await pilot.press("enter")  # the focus is on the safe answer: keep it
            await wait_until(pilot, lambda: "Nothing written" in screen_text(app))
            assert theirs.read_text() == "# somebody's own plan\n"

            await click(pilot, "#np-import")
            await wait_until(pilot, lambda: "exists and is not this draft" in screen_text(app))
            await pilot.press("y")
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), timeout_s=30)

    asyncio.run(scenario())
    assert theirs.read_text().startswith(f"# Drafted {BY}")
    assert Plan.select().count() == 1


def test_a_drafting_no_provider_may_take_is_refused_on_the_screen(
    repo: Path, sim_bin: Path, engine_db: Path
) -> None:
    """An internal project may plan on copilot (premium, over a $0.01 cap) or opencode (its
    Ollama is not answering): no agent starts, the screen says why."""
    config = engine_config(repo, "http://127.0.0.1:9", project_privacy="internal",
                           budget={"max_premium_per_day": 0.01})  # fmt: skip

    async def scenario() -> None:
        app = create_app(engine_db, config, None, poll_interval_s=0.1)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_new_plan(pilot, app)
            await draft(pilot, screen, "Add a hello file")
            await showing(pilot, app, "No plan: no provider may draft this plan now: ")
            assert screen.reviewed is None

    asyncio.run(scenario())
    assert sim_calls(sim_bin) == [] and Plan.select().count() == 0
    assert plan_rows(engine_db, "SELECT COUNT(*) FROM run") == [(0,)]
