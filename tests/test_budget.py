"""The budget ledger: reservations under concurrency, settle once, alerts once a day."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import run_cli

from convergio_tui.config.schema import BudgetConfig
from convergio_tui.engine import budget
from convergio_tui.store.models import Event, Ledger, Plan, Project, Run, Task, Wave


def make_runs(n: int) -> list[int]:
    project = Project.create(name="p", path="/tmp/p")
    plan = Plan.create(project=project, name="plan")
    wave = Wave.create(plan=plan, seq=1, name="w")
    ids = []
    for i in range(n):
        task = Task.create(plan=plan, wave=wave, code=f"T{i}", title="t", prompt="p", type="coding")
        ids.append(Run.create(task=task, provider="claude", model="claude-opus-4-5").id)
    return ids


def test_concurrent_reservations_never_pass_the_cap(db_file: Path) -> None:
    cfg = BudgetConfig(max_premium_per_day=10.0)
    runs = make_runs(160)
    granted: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(chunk: list[int]) -> None:
        start.wait()
        for run_id in chunk:
            if budget.reserve(cfg, "claude", "claude-opus-4-5", run_id, 0.30):
                with lock:
                    granted.append(run_id)

    threads = [threading.Thread(target=worker, args=(runs[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    status = budget.status(cfg)
    assert status.reserved_usd <= 10.0 + 1e-9
    assert len(granted) == 33  # floor(10 / 0.30): every grant that fit was given, no more
    assert Ledger.select().where(Ledger.kind == "reserve").count() == 33


def test_settle_releases_and_charges_once(db_file: Path) -> None:
    cfg = BudgetConfig(max_premium_per_day=10.0)
    (run_id,) = make_runs(1)
    assert budget.reserve(cfg, "claude", "claude-opus-4-5", run_id, 1.0)
    assert budget.status(cfg).reserved_usd == 1.0
    assert budget.settle("claude", "claude-opus-4-5", run_id, usd=0.4, premium=True)
    assert not budget.settle("claude", "claude-opus-4-5", run_id, usd=0.4, premium=True)
    status = budget.status(cfg)
    assert status.reserved_usd == 0.0
    assert status.spent_usd == 0.4
    assert status.by_provider == {"claude": 0.4}


def test_zero_tier_charges_count_requests_not_dollars(db_file: Path) -> None:
    cfg = BudgetConfig(max_premium_per_day=10.0)
    (run_id,) = make_runs(1)
    budget.settle("copilot", "gpt-5", run_id, usd=0.0, premium=False, premium_requests=1.0)
    status = budget.status(cfg)
    assert status.spent_usd == 0.0
    assert Ledger.get(Ledger.kind == "charge").premium_requests == 1.0


def test_alert_is_raised_once_per_day_per_threshold(db_file: Path) -> None:
    cfg = BudgetConfig(max_premium_per_day=1.0, alert_threshold_pct=80)
    runs = make_runs(3)
    budget.settle("claude", "m", runs[0], usd=0.5, premium=True)
    assert budget.raise_alerts(cfg) == []
    budget.settle("claude", "m", runs[1], usd=0.35, premium=True)
    (alert,) = budget.raise_alerts(cfg)
    assert alert.kind == "budget.alert" and "85%" in alert.message
    assert budget.raise_alerts(cfg) == []
    budget.settle("claude", "m", runs[2], usd=0.2, premium=True)
    (capped,) = budget.raise_alerts(cfg)
    assert capped.kind == "budget.capped"
    assert Event.select().count() == 2
    status = budget.status(cfg)
    assert status.alert and status.capped
    assert not budget.reserve(cfg, "claude", "m", runs[2], 0.01)


def test_day_boundary_follows_the_configured_timezone() -> None:
    rome = ZoneInfo("Europe/Rome")
    late = datetime(2026, 3, 28, 23, 30, tzinfo=rome).timestamp()
    day, start, end = budget.day_window("Europe/Rome", late)
    assert day.isoformat() == "2026-03-28"
    assert end - start == 24 * 3600
    # DST starts on 29 March 2026 in Rome: that day is 23 hours long.
    day2, start2, end2 = budget.day_window("Europe/Rome", end + 60)
    assert day2.isoformat() == "2026-03-29" and start2 == end and end2 - start2 == 23 * 3600
    _, utc_start, _ = budget.day_window("UTC", late)
    assert utc_start != start


def test_spend_of_yesterday_does_not_count_today(db_file: Path) -> None:
    cfg = BudgetConfig(max_premium_per_day=10.0, timezone="UTC")
    (run_id,) = make_runs(1)
    Ledger.create(provider="claude", run=run_id, kind="charge", usd=9.0, premium=True,
                  ts=budget.day_window("UTC", budget.now())[1] - 10)  # fmt: skip
    assert budget.status(cfg).spent_usd == 0.0


def test_budget_cli_json(db_file: Path) -> None:
    (run_id,) = make_runs(1)
    budget.settle("gemini", "gemini-2.5-pro", run_id, usd=8.5, premium=True)
    result = run_cli("--db", str(db_file), "budget", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"date", "cap_usd", "spent_usd", "reserved_usd", "pct", "alert", "capped",
                        "by_provider"}  # fmt: skip
    assert doc["spent_usd"] == 8.5 and doc["alert"] is True and doc["capped"] is False
    assert doc["by_provider"] == {"gemini": 8.5}


def test_plan_list_reports_spend_once_plans_have_runs(db_file: Path) -> None:
    runs = make_runs(2)
    Run.update(cost_usd=0.25).execute()
    result = run_cli("--db", str(db_file), "plan", "list", "--json")
    assert result.returncode == 0, result.stderr
    (plan,) = json.loads(result.stdout)["plans"]
    assert plan["cost_usd"] == 0.5 and plan["tasks"] == len(runs)
