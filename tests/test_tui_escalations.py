"""The escalation inbox and the approval modal write decisions the engine acts on."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select
from tui_fixtures import make_app

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Escalation, Task, Wave
from convergio_tui.thor import escalations
from convergio_tui.thor.outcome import GateOutcome, Review
from convergio_tui.thor.wave_escalations import open_wave_escalation
from convergio_tui.tui.screens.approval import ApprovalModal
from convergio_tui.tui.screens.escalations import EscalationsScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.task_table import TaskTable

SIZE = (160, 45)


async def open_modal(pilot: Pilot[None]) -> ApprovalModal:
    """Main screen → e (inbox) → enter (the first escalation)."""
    await wait_for_main(pilot)
    await pilot.press("e")
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, EscalationsScreen) and pilot.app.screen.lines
    )
    await pilot.press("enter")
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, ApprovalModal) and pilot.app.screen.detail
    )
    screen = pilot.app.screen
    assert isinstance(screen, ApprovalModal)
    return screen


def test_approving_from_the_modal_marks_the_task_done(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            modal = await open_modal(pilot)
            # The evidence and the diff stat are drawn at the frames after the read.
            await wait_until(pilot, lambda: all(
                t in screen_text(app) for t in ("Round 3", "2 files changed", "T2-03")),
                timeout_s=30)  # fmt: skip
            await pilot.press("a")
            await wait_until(pilot, lambda: Task.get_by_id(task_id).status == "done")
            await wait_until(pilot, lambda: app.screen is not modal)  # closed on success
            # back on the inbox, now empty; the main table shows the task done at once
            await wait_until(
                pilot, lambda: isinstance(app.screen, EscalationsScreen) and not app.screen.lines
            )
            await pilot.press("escape")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
            table = app.screen.query_one(TaskTable)
            await wait_until(
                pilot, lambda: table.get_cell(str(task_id), "status").plain == "✔ done"
            )

    asyncio.run(scenario())
    task = Task.get_by_id(task_id)
    assert task.validated_by.startswith("human:")
    assert Escalation.get(Escalation.task == task_id).status == "approved"


def test_retry_with_another_provider_model_and_note(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            modal = await open_modal(pilot)
            modal.query_one(Select).value = "opencode"
            modal.query_one("#approval-model", Input).focus()
            await pilot.press(*"ollama/llama3.3")
            modal.query_one("#approval-note", Input).focus()
            await pilot.press(*"mock the clock")
            await pilot.press("tab")  # leave the text field, then decide by key
            await pilot.press("r")
            await wait_until(pilot, lambda: Task.get_by_id(task_id).status == "queued")

    asyncio.run(scenario())
    task = Task.get_by_id(task_id)
    assert (task.round, task.provider, task.model) == (4, "opencode", "ollama/llama3.3")
    assert "mock the clock" in task.prompt
    assert Escalation.get(Escalation.task == task_id).status == "retried"


def test_reject_fails_the_task_and_blocks_its_wave(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await open_modal(pilot)
            await pilot.press("x")
            await wait_until(pilot, lambda: Task.get_by_id(task_id).status == "failed")

    asyncio.run(scenario())
    assert Wave.get_by_id(Task.get_by_id(task_id).wave_id).status == "blocked"


def test_a_decision_made_elsewhere_meanwhile_is_refused_clearly(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            modal = await open_modal(pilot)
            other = threading.Thread(
                target=lambda: escalations.decide(sample.escalation_id, "reject", "bob")
            )
            other.start()
            other.join(60)
            assert not other.is_alive()  # decided elsewhere before the press below
            await pilot.press("a")
            await wait_until(
                pilot, lambda: any(n.title == "Decision refused" for n in app._notifications)
            )
            assert app.screen is modal and not modal.deciding
            assert "already decided" in next(
                n.message for n in app._notifications if n.title == "Decision refused"
            )

    asyncio.run(scenario())
    assert Task.get_by_id(sample.task_ids["T2-03"]).status == "failed"  # bob's decision stands


FAILED_ROUND = {
    "round": 3, "scope": "task",
    "gates": [
        {"gate": 1, "name": "compliance", "verdict": "pass", "evidence": ""},
        {"gate": 8, "name": "tdd", "verdict": "fail",
         "evidence": "FAILED tests/test_session.py::test_expiry - assert 1 == 2\n1 failed"},
    ],
}  # fmt: skip


def record_failed_round(escalation_id: int) -> None:
    """The escalation's summary as Thor writes it: its last rejected round failed gate 8."""
    esc = Escalation.get_by_id(escalation_id)
    Escalation.update(summary={**esc.summary, "rounds": [FAILED_ROUND]}).where(
        Escalation.id == escalation_id
    ).execute()


def warning_shown(modal: ApprovalModal) -> bool:
    return bool(modal.query_one("#approval-warning").display)


def test_approving_work_that_failed_a_gate_says_what_and_asks_once_more(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]
    record_failed_round(sample.escalation_id)

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            modal = await open_modal(pilot)
            await pilot.press("a")
            await wait_until(pilot, lambda: warning_shown(modal))
            # The warning box and the relabelled button are drawn at the next frame.
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                "gate 8 tdd: tests fail: tests/test_session.py::test_expiry",
                "Approve anyway (a)")), timeout_s=30)  # fmt: skip
            # Nothing decided by the first press: no decision was even started.
            assert modal.deciding is None
            assert Task.get_by_id(task_id).status == "escalated"
            assert Escalation.get_by_id(sample.escalation_id).status == "pending"
            await pilot.press("a")
            await wait_until(pilot, lambda: Task.get_by_id(task_id).status == "done")
            await wait_until(pilot, lambda: app.screen is not modal)

    asyncio.run(scenario())
    assert Escalation.get_by_id(sample.escalation_id).status == "approved"


def test_escape_takes_the_approval_back_and_leaves_it_pending(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    record_failed_round(sample.escalation_id)

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            modal = await open_modal(pilot)
            await pilot.press("a")
            await wait_until(pilot, lambda: warning_shown(modal))
            await pilot.press("escape")  # takes the question back; the modal stays
            await wait_until(pilot, lambda: not warning_shown(modal))
            assert app.screen is modal
            await wait_until(pilot, lambda: "Approve (a)" in screen_text(app), timeout_s=30)
            await pilot.press("a")  # asks again: the first answer was not remembered
            await wait_until(pilot, lambda: warning_shown(modal))
            await pilot.press("escape", "escape")  # take it back, then close
            await wait_until(pilot, lambda: isinstance(app.screen, EscalationsScreen))
            assert [e.id for e in app.screen.lines] == [sample.escalation_id]

    asyncio.run(scenario())
    assert Escalation.get_by_id(sample.escalation_id).status == "pending"
    assert Task.get_by_id(sample.task_ids["T2-03"]).status == "escalated"


def test_the_inbox_follows_new_and_decided_escalations_with_the_cursor_on_its_row(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    def escalate(code: str) -> int:
        with immediate():
            return int(escalations.open_escalation(Task.get_by_id(sample.task_ids[code])).id)

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("e")
            # Pushed at once, composed after: wait for its table.
            await wait_until(
                pilot,
                lambda: isinstance(app.screen, EscalationsScreen) and bool(app.screen.query(DataTable)),
            )  # fmt: skip
            inbox = app.screen
            assert isinstance(inbox, EscalationsScreen)
            table = inbox.query_one(DataTable)
            await wait_until(pilot, lambda: table.row_count == 1)
            second, third = escalate("T2-01"), escalate("T2-02")
            await wait_until(pilot, lambda: table.row_count == 3)  # the inbox reads on its own
            await pilot.press("down")  # on the second escalation
            assert [str(k.value) for k in table.rows] == [
                str(sample.escalation_id),
                str(second),
                str(third),
            ]
            # Decided elsewhere: its row goes, the cursor stays on the escalation it was on.
            escalations.decide(sample.escalation_id, "reject", "bob")
            await wait_until(pilot, lambda: table.row_count == 2)
            under = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            assert under == str(second)
            await wait_until(
                pilot,
                lambda: "T2-01" in screen_text(app) and "T2-03" not in screen_text(app),
                timeout_s=30,
            )

    asyncio.run(scenario())


def test_a_wave_escalation_is_decided_in_the_same_modal(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    wave = Wave.get((Wave.plan == sample.plan_id) & (Wave.seq == 2))
    failed = GateOutcome(10, "build", "fail", "FAILED tests/test_login.py::test_locked - 500")
    with immediate():
        esc = open_wave_escalation(wave, Review(False, [failed], ""), 1)

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("e")
            await wait_until(pilot, lambda: len(getattr(app.screen, "lines", ())) == 2)
            await pilot.press("down", "enter")  # the wave's escalation is the newer one
            await wait_until(
                pilot, lambda: isinstance(app.screen, ApprovalModal) and app.screen.detail
            )
            modal = app.screen
            assert isinstance(modal, ApprovalModal)
            await wait_until(
                pilot, lambda: f"Escalation #{esc.id} · wave-2" in screen_text(app), timeout_s=30
            )
            await pilot.press("a")
            await wait_until(pilot, lambda: warning_shown(modal))
            await wait_until(
                pilot, lambda: "tests/test_login.py::test_locked" in screen_text(app), timeout_s=30
            )
            await pilot.press("a")
            await wait_until(pilot, lambda: Wave.get_by_id(wave.id).status == "done")
            await wait_until(
                pilot,
                lambda: any("wave-2 accepted as it is" in n.message for n in app._notifications),
            )

    asyncio.run(scenario())
    assert Escalation.get_by_id(esc.id).status == "approved"
