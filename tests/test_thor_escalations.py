"""Escalation decisions: approve, retry (elsewhere, with a note), reject — API and CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from test_thor_support import Sandbox, with_thor

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.store.models import Escalation, Event, Task, Wave
from convergio_tui.store.queries.escalations import pending
from convergio_tui.thor.escalations import EscalationError, decide
from convergio_tui.thor.rounds import reject_task


@pytest.fixture
def box(tmp_path: Path, db_file: Path, shipped_config: Config) -> Sandbox:
    return Sandbox(tmp_path, with_thor(shipped_config, code_globs=[], debug_patterns=[]))


def escalated(box: Sandbox, code: str = "T1-01") -> Task:
    """A task rejected three times (its verify always fails)."""
    task = box.add_task(code, verify=["echo still-broken; exit 1"], prompt="Fix it.")
    for _ in range(3):
        box.commit(task)
        reject_task(task.id, box.review(task), box.config)
    task = Task.get_by_id(task.id)
    assert task.status == "escalated"
    return task


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    proc = run_cli("--config", str(paths.shipped_config_path()), "--db", str(db), *args)
    return proc.returncode, proc.stdout, proc.stderr


def test_approve_marks_done_by_the_person(box: Sandbox) -> None:
    task = escalated(box)
    (view,) = pending()

    decided = decide(view.id, "approve", "eve", note="known flaky verify")

    assert decided.status == "approved" and decided.decided_by == "eve"
    task = Task.get_by_id(task.id)
    assert (task.status, task.validated_by) == ("done", "human:eve")
    assert pending() == []
    assert Event.select().where(Event.kind == "escalation_approved").count() == 1


def test_retry_runs_one_more_round_elsewhere_with_the_note(box: Sandbox) -> None:
    task = escalated(box)
    esc = Escalation.get(Escalation.task == task.id)

    decide(esc.id, "retry", "eve", note="use the helper in utils.py", provider="gemini",
           model="gemini-2.5-flash", config=box.config)  # fmt: skip

    task = Task.get_by_id(task.id)
    assert (task.status, task.round) == ("queued", 4)
    assert (task.requested_provider, task.requested_model) == ("gemini", "gemini-2.5-flash")
    assert "REVIEWER NOTE (before round 4, from eve):\nuse the helper in utils.py" in task.prompt
    rejections = [line for line in task.prompt.splitlines() if line.startswith("THOR-REJECTION")]
    assert len(rejections) == 3  # the simulated agents will count round 4
    assert Escalation.get_by_id(esc.id).status == "retried"


def test_retry_with_a_provider_alone_takes_its_default_model(box: Sandbox) -> None:
    task = escalated(box)
    (view,) = pending()

    decide(view.id, "retry", "eve", provider="opencode", config=box.config)

    task = Task.get_by_id(task.id)
    assert (task.requested_provider, task.requested_model) == ("opencode", "ollama/qwen3-coder")


def test_a_retried_task_that_fails_again_escalates_again(box: Sandbox) -> None:
    task = escalated(box)
    decide(pending()[0].id, "retry", "eve")
    box.commit(task)

    assert reject_task(task.id, box.review(task), box.config) == "escalated"

    (again,) = pending()
    assert [r["round"] for r in again.rounds] == [1, 2, 3, 4]


def test_reject_fails_the_task_and_blocks_its_wave(box: Sandbox) -> None:
    task = escalated(box)

    decide(pending()[0].id, "reject", "eve", note="wrong approach")

    assert Task.get_by_id(task.id).status == "failed"
    assert Wave.get_by_id(task.wave_id).status == "blocked"


def test_bad_decisions_are_refused_without_changes(box: Sandbox) -> None:
    task = escalated(box)
    (view,) = pending()

    with pytest.raises(EscalationError):
        decide(view.id, "approve", "eve", provider="gemini")
    with pytest.raises(EscalationError):
        decide(view.id, "retry", "eve", provider="nope", config=box.config)
    with pytest.raises(EscalationError):
        decide(view.id, "retry", "eve", provider="gemini", model="gpt-5", config=box.config)
    with pytest.raises(EscalationError):
        decide(view.id, "approve", "  ")
    with pytest.raises(EscalationError) as missing:
        decide(999, "approve", "eve")
    assert missing.value.not_found
    assert Task.get_by_id(task.id).status == "escalated"
    assert Escalation.get_by_id(view.id).status == "pending"


def test_cli_lists_shows_and_decides(box: Sandbox, db_file: Path) -> None:
    escalated(box, "T1-01")
    escalated(box, "T1-02")

    code, out, _ = cli(db_file, "escalations", "list", "--json")
    assert code == 0
    listed = json.loads(out)["escalations"]
    assert [e["task_code"] for e in listed] == ["T1-01", "T1-02"]
    first, second = listed[0]["id"], listed[1]["id"]
    assert listed[0]["rounds"][0]["gates"][0]["name"] == "compliance"

    code, out, _ = cli(db_file, "escalations", "list")
    assert code == 0 and "T1-01" in out and "last failing gates: compliance" in out
    code, out, _ = cli(db_file, "escalations", "show", str(first))
    assert code == 0 and "still-broken" in out and "round 3" in out

    code, out, _ = cli(db_file, "escalations", "retry", str(first), "--provider", "copilot",
                       "--model", "gpt-5-mini", "--note", "smaller steps")  # fmt: skip
    assert code == 0, out
    code, _, err = cli(db_file, "escalations", "reject", str(first))
    assert code == 1 and "already decided" in err
    code, _, err = cli(db_file, "escalations", "approve", str(second), "--provider", "claude")
    assert code == 2 and "No such option" in err and "--provider" in err
    code, _, err = cli(db_file, "escalations", "retry", str(second), "--provider", "nobody")
    assert code == 2 and "unknown provider" in err
    code, _, err = cli(db_file, "escalations", "approve", "4242")
    assert code == 2 and "no escalation 4242" in err

    code, out, _ = cli(db_file, "escalations", "reject", str(second), "--json")
    assert code == 0 and json.loads(out)["status"] == "rejected"
    code, out, _ = cli(db_file, "escalations", "list", "--json")
    assert json.loads(out) == {"escalations": []}
    retried = Task.get(Task.code == "T1-01")
    assert (retried.requested_provider, retried.requested_model) == ("copilot", "gpt-5-mini")
