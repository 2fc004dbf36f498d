"""The budget ledger: reservations under concurrency, settle once, alerts once a day."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import run_cli

from convergio_tui.config.schema import BudgetConfig, Config, ModelConfig
from convergio_tui.engine import budget, reservation
from convergio_tui.engine.charging import charge_for
from convergio_tui.store.models import Event, Ledger, Plan, Project, Run, Task, Wave
from convergio_tui.store.queries import credits_by_provider, overrun_events


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
    assert set(doc) == {"date", "cap_usd", "spent_usd", "reserved_usd", "headroom_usd", "pct", "alert", "capped",
                        "by_provider", "burn", "by_plan", "in_flight"}  # fmt: skip
    assert doc["spent_usd"] == 8.5 and doc["alert"] is True and doc["capped"] is False
    assert doc["by_provider"] == {"gemini": 8.5}
    # $8.50 charged just now is measured over a quarter of an hour at least: $34/h.
    assert doc["burn"]["usd_per_hour"] == 34.0
    assert doc["burn"]["forecast"] in ("today", "not_today")  # "not today" just before midnight
    assert doc["by_plan"] == [{"plan_id": 1, "name": "plan", "usd": 8.5, "ai_credits": 0.0}]
    assert doc["in_flight"] == []
    text = run_cli("--db", str(db_file), "budget").stdout
    assert "  burn $34.00/h · cap " in text and "  gemini     $8.50" in text
    assert "  plan #1 plan: $8.50" in text


def test_plan_list_reports_spend_once_plans_have_runs(db_file: Path) -> None:
    runs = make_runs(2)
    Run.update(cost_usd=0.25).execute()
    result = run_cli("--db", str(db_file), "plan", "list", "--json")
    assert result.returncode == 0, result.stderr
    (plan,) = json.loads(result.stdout)["plans"]
    assert plan["cost_usd"] == 0.5 and plan["tasks"] == len(runs)


# ---- worst-case reservations, hard limits, overruns ------------------------------------


def cap_config(shipped_config: Config, cap: float) -> Config:
    """The shipped configuration with another daily cap."""
    return shipped_config.model_copy(update={"budget": shipped_config.budget.model_copy(
        update={"max_premium_per_day": cap})})  # fmt: skip


def test_p95_is_nearest_rank_and_the_largest_of_few() -> None:
    assert reservation.p95([]) is None
    assert reservation.p95([0.4]) == 0.4
    assert reservation.p95([0.1, 0.9, 0.3]) == 0.9  # fewer than 20: the largest
    costs = [float(i) for i in range(1, 41)]  # 40 costs: the 38th smallest
    assert reservation.p95(costs) == 38.0


def test_worst_case_holds_the_clis_smallest_limit_plus_one_call(shipped_config: Config) -> None:
    copilot = shipped_config.providers["copilot"]
    tiny = ModelConfig(id="tiny", max_run_usd=0.05, max_call_usd=0.02)
    env = reservation.envelope("copilot", copilot, tiny, shipped_config.budget)
    assert env.worst_usd == pytest.approx(0.32)  # 30 credits ($0.30) + one call
    assert env.hard_limit(env.worst_usd) == 30.0
    derived = ModelConfig(id="m", output_usd_per_mtok=10.0, max_output_tokens=20_000)
    assert reservation.call_usd(derived) == pytest.approx(0.20)  # output cap at list price
    gemini = reservation.envelope(
        "gemini", shipped_config.providers["gemini"], derived, shipped_config.budget
    )
    assert gemini.limit is None and gemini.hard_limit(5.0) is None
    assert gemini.worst_usd == shipped_config.budget.default_max_run_usd


def test_reserve_run_reserves_the_worst_case_or_nothing(
    db_file: Path, shipped_config: Config
) -> None:
    config = cap_config(shipped_config, 4.0)
    runs = make_runs(3)
    assert budget.reserve_run(config, "claude", "claude-opus-4-5", runs[0]) == 3.00
    # $1.00 left: a second opus run ($3.00) is refused whole, nothing written.
    assert budget.reserve_run(config, "claude", "claude-opus-4-5", runs[1]) is None
    assert Ledger.select().where(Ledger.run == runs[1]).count() == 0
    assert budget.reserve_run(config, "copilot", "gpt-5", runs[2]) == 1.00
    status = budget.status(config.budget)
    assert status.reserved_usd == pytest.approx(4.0) and status.headroom_usd == pytest.approx(0)
    # The hard limits leave one call's worst case inside each reservation.
    assert budget.run_limit(config, "claude", "claude-opus-4-5", runs[0]) == pytest.approx(2.25)
    assert budget.run_limit(config, "copilot", "gpt-5", runs[2]) == 75.0  # AI credits
    assert budget.run_limit(config, "claude", "claude-opus-4-5", runs[1]) is None


def test_overrun_is_recorded_and_raises_the_models_next_reservation(
    db_file: Path, shipped_config: Config
) -> None:
    config = cap_config(shipped_config, 10.0)
    runs = make_runs(3)
    assert budget.reserve_run(config, "gemini", "gemini-2.5-pro", runs[0]) == 1.50
    assert budget.settle("gemini", "gemini-2.5-pro", runs[0], usd=2.40, premium=True)
    (event,) = Event.select().where(Event.kind == "budget.overrun")
    assert event.level == "warning" and event.task_id is not None and event.plan_id is not None
    assert event.data == {"run": runs[0], "provider": "gemini", "model": "gemini-2.5-pro",
                          "reserved": 1.5, "actual": 2.4}  # fmt: skip
    assert budget.status(config.budget).learned == {("gemini", "gemini-2.5-pro"): 2.40}
    assert budget.reserve_run(config, "gemini", "gemini-2.5-pro", runs[1]) == pytest.approx(2.40)
    note = Ledger.get(Ledger.run == runs[1], Ledger.kind == "reserve").note
    assert "learned p95 $2.40" in note
    # A run inside its reservation is no overrun; other models learn nothing from it.
    budget.settle("gemini", "gemini-2.5-pro", runs[1], usd=0.3, premium=True)
    assert Event.select().where(Event.kind == "budget.overrun").count() == 1
    assert budget.reserve_run(config, "gemini", "gemini-2.5-flash", runs[2]) == 0.40
    (line,) = overrun_events(0, budget.now() + 1)
    assert (line.run_id, line.task_code, line.reserved_usd, line.actual_usd) == (
        runs[0], "T0", 1.5, 2.4)  # fmt: skip


def test_copilot_is_charged_its_ai_credits_in_usd(db_file: Path, shipped_config: Config) -> None:
    copilot = shipped_config.providers["copilot"]
    gpt5 = copilot.model("gpt-5")
    reported = charge_for(copilot, gpt5, success=True, cost_usd=None, input_tokens=0,
                          output_tokens=0, premium_requests=1.0, estimate_usd=0.01,
                          credits=42.5, reserved_usd=1.0)  # fmt: skip
    assert (reported.usd, reported.premium, reported.credits) == (pytest.approx(0.425), True, 42.5)
    assert reported.premium_requests == 1.0
    silent = charge_for(copilot, gpt5, success=False, cost_usd=None, input_tokens=0,
                        output_tokens=0, premium_requests=None, estimate_usd=0.01,
                        reserved_usd=1.0)  # fmt: skip
    assert (silent.usd, silent.credits) == (1.0, pytest.approx(100.0))  # the worst case
    (run_id,) = make_runs(1)
    cfg = BudgetConfig(max_premium_per_day=10.0)
    budget.settle("copilot", "gpt-5", run_id, usd=reported.usd, premium=True,
                  premium_requests=1.0, credits=reported.credits)  # fmt: skip
    assert budget.status(cfg).spent_usd == pytest.approx(0.425)
    assert Ledger.get(Ledger.kind == "charge").ai_credits == 42.5
    start, end = 0.0, budget.now() + 1
    assert credits_by_provider(start, end) == {"copilot": 42.5}


def test_a_v4_database_gains_the_ai_credits_columns(isolated_home: Path) -> None:
    import sqlite3

    from convergio_tui.store.db import close_database, open_database

    path = isolated_home / "old.db"
    open_database(path)
    close_database()
    raw = sqlite3.connect(path)
    for table in ("run", "ledger"):
        raw.execute(f"ALTER TABLE {table} DROP COLUMN ai_credits")
    raw.execute("DELETE FROM schema_version WHERE version >= 5")  # as a v4 database records
    raw.commit()
    raw.close()
    open_database(path)
    try:
        (run_id,) = make_runs(1)
        budget.settle("copilot", "gpt-5", run_id, usd=0.12, premium=True, credits=12.0)
        assert Ledger.get(Ledger.kind == "charge").ai_credits == 12.0
    finally:
        close_database()
