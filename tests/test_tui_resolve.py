"""Resolving a conflict escalation by hand from the dashboard: the approval modal names the
conflicting paths, the kept worktree and the ways forward; ``h`` is refused (and says why)
while the worktree still conflicts or holds uncommitted changes, and approves the task
once the person committed a clean merge there. The conflict is a real one: the real
engine, the simulated agents and real git worktrees (tests/test_approved_conflict.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from engine_fixtures import git, make_repo
from test_approved_conflict import (
    RESOLVED,
    cli,
    escalate_then_approve_into_a_conflict,
    run_git,
)
from textual.notifications import Notification
from textual.pilot import Pilot
from tui_fixtures import record_notifications

from convergio_tui.config.loader import load_config
from convergio_tui.store.models import Escalation, Task, Wave
from convergio_tui.tui.app import ConvergioApp, create_app
from convergio_tui.tui.screens.approval import ApprovalModal
from convergio_tui.tui.screens.escalations import EscalationsScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until

SIZE = (160, 45)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"README.md": "# demo\n"})


def dashboard(config_file: Path, db: Path, plan_id: int) -> tuple[ConvergioApp, list[Notification]]:
    """The dashboard on the plan, and every notification it raises."""
    app = create_app(db, load_config(config_file), plan_id, poll_interval_s=0.1)
    return app, record_notifications(app)


async def open_conflict(pilot: Pilot[None], esc_id: int) -> ApprovalModal:
    """Main screen → e (inbox) → enter on the conflict escalation."""
    await wait_for_main(pilot)
    await pilot.press("e")
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, EscalationsScreen)
            and [e.id for e in pilot.app.screen.lines] == [esc_id]
        ),
    )
    await pilot.press("enter")
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, ApprovalModal) and pilot.app.screen.detail
    )
    modal = pilot.app.screen
    assert isinstance(modal, ApprovalModal)
    return modal


def refusals(notes: list[Notification]) -> list[str]:
    """Every refusal said so far (recorded: a toast expires after a few seconds)."""
    return [n.message for n in notes if n.title == "Not resolved"]


async def resolve_refused(
    pilot: Pilot[None], app: ConvergioApp, modal: ApprovalModal, notes: list[Notification]
) -> str:
    """Press h and return the refusal it shows (the modal stays, nothing decided)."""
    before = len(refusals(notes))
    await pilot.press("h")
    # The check runs git in the worktree: give it the time a loaded machine needs.
    await wait_until(
        pilot, lambda: len(refusals(notes)) > before and modal.deciding is None, timeout_s=30
    )
    assert app.screen is modal
    return refusals(notes)[-1]


def test_resolve_is_refused_while_the_worktree_still_conflicts(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    config_file, plan_id, conflict = escalate_then_approve_into_a_conflict(
        tmp_path, repo, engine_db, ollama
    )
    worktree = str(Task.get(Task.code == "T2").worktree)
    wave_branch = str(Wave.get(Wave.plan == plan_id).branch)
    # The CLI shows the same conflict: in its JSON and in `escalations show`.
    assert conflict["conflict"]["paths"] == ["calc.py"]
    assert conflict["conflict"]["worktree"] == worktree
    shown = cli(config_file, engine_db, "escalations", "show", str(conflict["id"]))
    assert f"conflicts with {wave_branch} in calc.py" in shown.stdout
    assert f"worktree: {worktree}" in shown.stdout
    assert f"then `convergio escalations resolve {conflict['id']}`" in shown.stdout
    as_json = cli(config_file, engine_db, "escalations", "show", str(conflict["id"]), "--json")
    assert json.loads(as_json.stdout)["conflict"]["wave_branch"] == wave_branch

    async def scenario() -> None:
        app, notes = dashboard(config_file, engine_db, plan_id)
        async with app.run_test(size=SIZE) as pilot:
            modal = await open_conflict(pilot, conflict["id"])
            await wait_until(pilot, lambda: bool(modal.query_one("#approval-conflict").display))
            # Where it conflicts, where to fix it, and the ways forward.
            shown = str(modal.query_one("#approval-conflict").render())
            assert f"Conflicts with {wave_branch} in calc.py" in shown
            assert f"worktree {worktree}" in shown
            assert "retry: re-run it on the current wave branch" in shown
            assert f"convergio escalations resolve {conflict['id']}" in shown
            refused = await resolve_refused(pilot, app, modal, notes)
            assert "still conflicts" in refused and "calc.py" in refused
            # It can be tried again: the button is there, drawn.
            await wait_until(pilot, lambda: "Resolved by hand (h)" in screen_text(app),
                             timeout_s=30)  # fmt: skip

    asyncio.run(scenario())
    assert Escalation.get_by_id(conflict["id"]).status == "pending"
    assert Task.get(Task.code == "T2").status == "escalated"


def test_resolve_after_committing_a_clean_merge_in_the_worktree_approves_it(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    config_file, plan_id, conflict = escalate_then_approve_into_a_conflict(
        tmp_path, repo, engine_db, ollama
    )
    worktree = Path(Task.get(Task.code == "T2").worktree)
    wave_branch = str(Wave.get(Wave.plan == plan_id).branch)
    # The person merges the wave branch in the kept worktree and fixes the conflict...
    assert run_git(worktree, "merge", wave_branch).returncode != 0
    (worktree / "calc.py").write_text(RESOLVED)

    async def scenario() -> None:
        app, notes = dashboard(config_file, engine_db, plan_id)
        async with app.run_test(size=SIZE) as pilot:
            modal = await open_conflict(pilot, conflict["id"])
            # ...but has not committed yet: refused, the fix would be lost.
            refused = await resolve_refused(pilot, app, modal, notes)
            assert "uncommitted changes" in refused and "commit them first" in refused
            assert Escalation.get_by_id(conflict["id"]).status == "pending"
            git(worktree, "add", "calc.py")
            git(worktree, "commit", "-q", "--no-edit")
            await pilot.press("h")
            await wait_until(
                pilot, lambda: Task.get(Task.code == "T2").status == "done", timeout_s=30
            )
            await wait_until(pilot, lambda: isinstance(app.screen, EscalationsScreen))
            assert any(n.title == "Escalation decided" for n in notes)

    asyncio.run(scenario())
    t2 = Task.get(Task.code == "T2")
    assert t2.validated_by.startswith("human:")
    assert Escalation.get_by_id(conflict["id"]).status == "approved"
