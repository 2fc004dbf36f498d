"""The headless demo: the real engine over the simulated agents tells its whole story."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import run_cli


def test_headless_demo_shows_routing_rejection_alert_fallback_and_escalation(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    result = run_cli("demo", "--headless", env={"CONVERGIO_HOME": str(home)})
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Convergio DEMO" in out
    assert "T2-01      queued     rejected in round 1" in out  # a rejection, then a pass
    assert "[budget.alert]" in out
    # What is left of the cap no longer holds claude's worst case: T2-03 goes to copilot.
    assert "T2-03      running    copilot·claude-sonnet-4.5 (fallback from claude)" in out
    assert "[budget.overrun]" not in out
    assert "T3-02      escalated" in out and "waiting for a person: T3-02" in out
    # Where the work is: waves 1-2 passed, on wave 2's branch, with the command to take it.
    assert "result so far: waves 1-2 of 3 passed Thor's wave review" in out
    assert "files changed" in out and "merge --no-ff convergio/" in out

    db = home / "demo" / "home" / "convergio.db"
    raw = sqlite3.connect(db)
    runs = raw.execute(
        "SELECT t.code, r.provider FROM run r JOIN task t ON t.id = r.task_id"
    ).fetchall()
    # The sensitive task ran only on the local provider.
    assert {p for code, p in runs if code == "T1-03"} == {"opencode"}
    # Spend stays inside the cap: premium charges never pass $2.00.
    (spent,) = raw.execute(
        "SELECT SUM(usd) FROM ledger WHERE kind = 'charge' AND premium = 1"
    ).fetchone()
    assert 1.60 <= spent <= 2.00
    statuses = dict(raw.execute("SELECT code, status FROM task").fetchall())
    assert statuses.pop("T3-02") == "escalated"
    assert set(statuses.values()) == {"done"}
    raw.close()

    # The user's own database and budget are untouched by the demo.
    assert not (home / "convergio.db").exists()
    pending = run_cli("--db", str(db), "escalations", "list", "--json",
                      env={"CONVERGIO_HOME": str(home / "demo" / "home")})  # fmt: skip
    assert pending.returncode == 0, pending.stderr
    assert "T3-02" in json.dumps(json.loads(pending.stdout))


def test_demo_refuses_to_delete_a_folder_it_did_not_create(tmp_path: Path) -> None:
    home = tmp_path / "home"
    precious = home / "demo" / "thesis.tex"
    precious.parent.mkdir(parents=True)
    precious.write_text("years of work")
    result = run_cli("demo", "--headless", env={"CONVERGIO_HOME": str(home)})
    assert result.returncode == 2
    assert "is not a Convergio demo folder" in result.stderr and "Traceback" not in result.stderr
    assert precious.read_text() == "years of work"
