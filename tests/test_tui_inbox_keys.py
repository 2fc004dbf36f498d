"""Deciding from the escalation inbox: ``a``/``r``/``x`` act on the selected row and ask
once more (the same key again decides, esc takes it back); the dialog opens on Close, so
a stray Enter, Tab then Enter, or Shift+Tab then Enter decides nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable
from tui_fixtures import make_app

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Escalation, Task, Wave
from convergio_tui.thor import escalations
from convergio_tui.tui.app import ConvergioApp
from convergio_tui.tui.screens.approval import ApprovalModal
from convergio_tui.tui.screens.escalations import EscalationsScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until

SIZE = (160, 45)


def second_escalation(sample: sample_data.SampleIds) -> tuple[int, int]:
    """Escalate T2-01 as well: the inbox has two rows, T2-03's first. Returns T2-01's task
    id and escalation id."""
    task_id = sample.task_ids["T2-01"]
    with immediate():
        Task.update(status="escalated").where(Task.id == task_id).execute()
        esc = escalations.open_escalation(Task.get_by_id(task_id))
    return task_id, int(esc.id)


async def inbox_on_second_row(pilot: Pilot[None], app: ConvergioApp) -> EscalationsScreen:
    """Main screen → e → the cursor on the second (newer) escalation."""
    await wait_for_main(pilot)
    await pilot.press("e")
    await wait_until(pilot, lambda: len(getattr(app.screen, "lines", ())) == 2)
    inbox = app.screen
    assert isinstance(inbox, EscalationsScreen)
    await pilot.press("down")
    return inbox


async def asking(pilot: Pilot[None], app: ConvergioApp, action: str) -> ApprovalModal:
    """The dialog is up, loaded, and asks ``action`` once more."""
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, ApprovalModal) and app.screen.confirming == action,
    )
    modal = app.screen
    assert isinstance(modal, ApprovalModal)
    assert modal.query_one("#approval-warning").display
    # The focus moves to Close after the current message (Widget.focus is deferred).
    await wait_until(
        pilot, lambda: app.focused is not None and app.focused.id == "approval-close",
        timeout_s=30,
    )  # fmt: skip
    return modal


def test_a_on_the_selected_row_asks_then_approves_that_escalation(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id, esc_id = second_escalation(sample)

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await inbox_on_second_row(pilot, app)
            await pilot.press("a")
            modal = await asking(pilot, app, "approve")
            # The read escalation and the question: drawn at the frames after they are set.
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                f"Escalation #{esc_id} · T2-01", "Approve T2-01: it is done, validated by you",
                "Approve anyway (a)")), timeout_s=30)  # fmt: skip
            # Asked, not decided: the database is as it was.
            assert modal.deciding is None
            assert Escalation.get_by_id(esc_id).status == "pending"
            assert Task.get_by_id(task_id).status == "escalated"
            await pilot.press("a")
            await wait_until(pilot, lambda: Task.get_by_id(task_id).status == "done")
            # Back on the inbox, which now lists only the other escalation.
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, EscalationsScreen)
                    and [e.id for e in app.screen.lines] == [sample.escalation_id]
                ),
            )
            await wait_until(
                pilot,
                lambda: "T2-01" not in screen_text(app) and "T2-03" in screen_text(app),
                timeout_s=30,
            )

    asyncio.run(scenario())
    assert Escalation.get_by_id(esc_id).status == "approved"
    assert Task.get_by_id(task_id).validated_by.startswith("human:")
    assert Escalation.get_by_id(sample.escalation_id).status == "pending"  # not the other row
    assert Task.get_by_id(sample.task_ids["T2-03"]).status == "escalated"


def test_r_on_the_selected_row_asks_then_retries_it(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]
    before = Task.get_by_id(task_id)

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("e")
            await wait_until(pilot, lambda: bool(getattr(app.screen, "lines", ())))
            await pilot.press("r")
            modal = await asking(pilot, app, "retry")
            target = f"{before.provider}·{before.model}"
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                f"Retry T2-03: one more round on {target}", "Retry now (r)")),
                timeout_s=30)  # fmt: skip
            assert Task.get_by_id(task_id).status == "escalated" and modal.deciding is None
            await pilot.press("r")
            await wait_until(pilot, lambda: Task.get_by_id(task_id).status == "queued")
            await wait_until(pilot, lambda: isinstance(app.screen, EscalationsScreen))
            # The inbox reads again when the dialog closes.
            await wait_until(
                pilot,
                lambda: "Nothing waits for you" in screen_text(app) or app.screen.lines == (),
                timeout_s=30,
            )

    asyncio.run(scenario())
    assert Task.get_by_id(task_id).round == before.round + 1
    assert Escalation.get_by_id(sample.escalation_id).status == "retried"


def test_x_asks_esc_takes_it_back_and_x_twice_rejects(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("e")
            await wait_until(pilot, lambda: bool(getattr(app.screen, "lines", ())))
            await pilot.press("x")
            modal = await asking(pilot, app, "reject")
            await wait_until(
                pilot,
                lambda: "Reject T2-03: the task fails and its wave is blocked" in screen_text(app),
                timeout_s=30,
            )
            await pilot.press("escape")  # taken back: the dialog stays, nothing asked
            await wait_until(pilot, lambda: modal.confirming is None)
            assert app.screen is modal
            await wait_until(pilot, lambda: "Reject (x)" in screen_text(app), timeout_s=30)
            assert Escalation.get_by_id(sample.escalation_id).status == "pending"
            await pilot.press("escape")  # closes the dialog: back on the inbox
            await wait_until(pilot, lambda: isinstance(app.screen, EscalationsScreen))
            await pilot.press("x")
            await asking(pilot, app, "reject")
            await pilot.press("x")
            await wait_until(pilot, lambda: Task.get_by_id(task_id).status == "failed")

    asyncio.run(scenario())
    assert Escalation.get_by_id(sample.escalation_id).status == "rejected"
    assert Wave.get_by_id(Task.get_by_id(task_id).wave_id).status == "blocked"


def test_the_dialog_opens_on_close_and_tab_or_enter_decide_nothing(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]

    def undecided() -> bool:
        esc = Escalation.get_by_id(sample.escalation_id)
        return esc.status == "pending" and Task.get_by_id(task_id).status == "escalated"

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("e")
            await wait_until(pilot, lambda: bool(getattr(app.screen, "lines", ())))
            await pilot.press("enter")
            await wait_until(
                pilot, lambda: isinstance(app.screen, ApprovalModal) and app.screen.detail
            )
            modal = app.screen
            assert isinstance(modal, ApprovalModal)
            await wait_until(
                pilot, lambda: app.focused is not None and app.focused.id == "approval-close",
                timeout_s=30,
            )  # fmt: skip
            # Tab then Enter: whatever Tab reached, nothing is decided.
            await pilot.press("tab", "enter")
            await pilot.pause()
            assert modal.deciding is None and undecided()
            # Back to Close, then Shift+Tab reaches a decision button: Enter only asks...
            modal.query_one("#approval-close").focus()
            await pilot.press("shift+tab")
            reached = app.focused
            assert reached is not None and reached.id != "approval-close"
            await pilot.press("enter")
            await wait_until(pilot, lambda: modal.confirming is not None)
            assert modal.deciding is None and undecided()
            # ...and moves the focus to Close (deferred: Widget.focus runs after the
            # current message): a second Enter takes the question back.
            await wait_until(
                pilot, lambda: app.focused is not None and app.focused.id == "approval-close",
                timeout_s=30,
            )  # fmt: skip
            await pilot.press("enter")
            await wait_until(pilot, lambda: modal.confirming is None)
            assert app.screen is modal and modal.deciding is None and undecided()
            # Enter on Close with nothing asked closes the dialog; still nothing decided.
            # (A button ignores presses while it still shows the last one.)
            close = modal.query_one("#approval-close")
            await wait_until(pilot, lambda: not close.has_class("-active"))
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, EscalationsScreen))

    asyncio.run(scenario())
    assert undecided()


def test_the_inbox_keys_wait_for_a_row(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    escalations.decide(sample.escalation_id, "reject", "bob")  # the inbox is empty

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("e")
            await wait_until(pilot, lambda: isinstance(app.screen, EscalationsScreen))
            inbox = app.screen
            assert isinstance(inbox, EscalationsScreen)
            await wait_until(pilot, lambda: "Nothing waits for you" in screen_text(app))
            await pilot.press("a", "r", "x")
            await pilot.pause()
            assert app.screen is inbox and inbox.query_one(DataTable).row_count == 0

    asyncio.run(scenario())
