"""The dashboard shows escape sequences and markup from plans and agents as inert text.

The real app on the seeded sample, with the attack put where a plan author or an agent
could put it: the plan and wave names, task titles and prompts, the escalation's reason
and gate evidence, provider health errors, and lines of a running agent's log (raw, and
JSON-escaped inside the provider's own format). Every screen that shows them is
rendered and its cells inspected.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from rich.console import Console
from test_textsafe import ATTACK, CLIPBOARD, MARKUP, UNSAFE
from textual.app import App
from textual.widgets import Log
from tui_fixtures import make_app

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import Escalation, GateResult, Plan, ProviderHealth, Run, Task, Wave
from convergio_tui.tui.screens.approval import ApprovalModal
from convergio_tui.tui.screens.escalations import EscalationsScreen
from convergio_tui.tui.screens.task_detail import TaskDetailScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.output_pane import OutputPane

SIZE = (160, 45)


def rendered(app: App[object]) -> str:
    """Every character the screen's cells hold, as the compositor hands them to the
    terminal (control segments, the driver's own cursor moves, left out)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, legacy_windows=False)  # fmt: skip
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return "".join(s.text for s in console.render(update) if not s.control)


def assert_inert(app: App[object], *expected: str) -> None:
    """No control character in any cell; ``expected`` shown literally."""
    cells = rendered(app)
    found = UNSAFE.search(cells.replace("\n", ""))
    assert found is None, f"{found.group()!r} reached the screen"
    text = screen_text(app)
    for needle in expected:
        assert needle in text, needle


def poison(sample: sample_data.SampleIds) -> tuple[int, int]:
    """Put the attack everywhere a plan or an agent can; returns (running task, escalated)."""
    running, escalated = sample.task_ids["T2-01"], sample.task_ids["T2-03"]
    Plan.update(name=f"add-login {MARKUP}").where(Plan.id == sample.plan_id).execute()
    Wave.update(name=f"login {ATTACK}").where(Wave.plan == sample.plan_id).execute()
    for task_id in (running, escalated):
        Task.update(title=f"T {ATTACK}", prompt=f"Fix it.\n{ATTACK}\r\nmore").where(
            Task.id == task_id
        ).execute()
    GateResult.update(evidence=f"$ pytest\n{CLIPBOARD} {ATTACK}").where(
        GateResult.task == escalated
    ).execute()
    Escalation.update(reason=f"rejected {ATTACK}").where(Escalation.task == escalated).execute()
    ProviderHealth.update(state="down", last_error=f"auth {ATTACK}").execute()
    said = {"type": "assistant", "message": {"content": [{"type": "text", "text": ATTACK}]}}
    for run in Run.select().where(Run.task.in_((running, escalated))):
        with open(run.log_path, "a", encoding="utf-8") as log:
            log.write(f"[out] raw agent line {ATTACK}\n[out] {json.dumps(said)}\n")
    return running, escalated


def test_no_control_character_reaches_the_screen_and_markup_reads_as_written(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    running, escalated = poison(sample)

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            main = app.screen
            panes = {p.run.task_id: p for p in main.query(OutputPane)}
            assert running in panes
            # The pane composes its log after it is mounted.
            await wait_until(pilot, lambda: bool(panes[running].query(Log)), timeout_s=30)
            log = panes[running].query_one(Log)
            await wait_until(pilot, lambda: any("raw agent line" in line for line in log.lines))
            main_texts = (MARKUP, "T ␛]0;pwned␇␛[2J", "raw agent line ␛]0;pwned")
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in main_texts),
                             timeout_s=30)  # fmt: skip
            assert_inert(app, *main_texts)
            # The pane's own strips, line by line, hold no control either.
            for y in range(log.size.height):
                assert not UNSAFE.search(log.render_line(y).text)

            app.push_screen(TaskDetailScreen(main.ctx, escalated))
            await wait_until(pilot, lambda: "T ␛]0;pwned" in screen_text(app))
            await wait_until(pilot, lambda: "raw agent line" in screen_text(app))
            # The gate evidence is read apart from the log: wait until it is drawn too.
            await wait_until(pilot, lambda: "$ pytest" in screen_text(app), timeout_s=30)
            assert_inert(app, "Fix it.", "$ pytest", "␛]52;c;")
            await pilot.press("escape")

            await pilot.press("e")
            await wait_until(
                pilot, lambda: isinstance(app.screen, EscalationsScreen) and app.screen.lines
            )
            await wait_until(pilot, lambda: "rejected ␛]0;pwned" in screen_text(app), timeout_s=30)
            assert_inert(app, "rejected ␛]0;pwned")
            await pilot.press("enter")
            await wait_until(
                pilot, lambda: isinstance(app.screen, ApprovalModal) and app.screen.detail
            )
            modal_texts = ("␛]52;c;", MARKUP, "rejected ␛]0;pwned")
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in modal_texts),
                             timeout_s=30)  # fmt: skip
            assert_inert(app, MARKUP, "rejected ␛]0;pwned")

    asyncio.run(scenario())
