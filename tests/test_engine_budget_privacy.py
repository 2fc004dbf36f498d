"""Budget and privacy at dispatch: the cap reached mid-plan walks premium tasks to copilot;
a sensitive task only ever runs on opencode; vault secrets reach the worker's environment
and never its log."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from engine_fixtures import dump, engine_config, import_spec, shipped_dict, sim_calls, task

from convergio_tui.engine import budget
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import Prepared, privacy_violation
from convergio_tui.engine.events import Bus
from convergio_tui.engine.executor import Executor
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.store.models import Event, Ledger, Run, Task
from convergio_tui.tools.vault import Vault


def worst_cases(**models: tuple[float, float]) -> dict[str, Any]:
    """A ``providers`` section override: ``model=(max_run_usd, max_call_usd)`` on the
    shipped models of claude, copilot and gemini."""
    shipped = shipped_dict()["providers"]
    out: dict[str, Any] = {}
    for name in ("claude", "copilot", "gemini"):
        listed = []
        for model in shipped[name]["models"]:
            run, call = models.get(model["id"].replace("-", "_").replace(".", "_"),
                                   (model.get("max_run_usd"), model.get("max_call_usd")))  # fmt: skip
            listed.append({**model, "max_run_usd": run, "max_call_usd": call})
        out[name] = {"models": listed}
    return out


def test_cap_reached_mid_plan_falls_back_to_a_provider_whose_worst_case_fits(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(
        repo, ollama, budget={"max_premium_per_day": 1.00},
        # P0 takes the strongest model: claude-opus-4-5, copilot's claude-sonnet-4.5.
        providers=worst_cases(claude_opus_4_5=(0.60, 0.10), claude_sonnet_4_5=(0.40, 0.05),
                              gemini_2_5_pro=(0.70, None)),
    )  # fmt: skip
    plan = import_spec(config, tmp_path, [
        [task("T1", "Fix the outage.\nSIM: cost=0.45 calls=5\nSIM: write a.txt <<<a\n>>>", priority="P0")],
        [task("T2", "Fix the next bug.\nSIM: write b.txt <<<b\n>>>", priority="P0")],
    ])  # fmt: skip
    planned = {t.code: t.provider for t in Task.select()}
    assert planned == {"T1": "claude", "T2": "claude"}  # before any spend
    assert Executor(config, plan).run().status == "done", dump()

    runs = {r.task.code: r for r in Run.select()}
    assert (runs["T1"].provider, runs["T1"].cost_usd) == ("claude", 0.45)
    assert runs["T1"].argv[-2:] == ["--max-budget-usd", "0.5000"]  # $0.60 less one call
    # $0.55 left: claude's worst case ($0.60) and gemini's ($0.70) no longer fit; copilot's
    # ($0.40) does, and copilot gets 35 AI credits: $0.40 less one call.
    t2 = runs["T2"]
    assert (t2.provider, t2.fallback_from) == ("copilot", "claude")
    assert t2.argv[-2:] == ["--max-ai-credits", "35"] and t2.cost_usd > 0
    text = " | ".join(t2.route_reasons)
    assert (
        "budget: $0.45 used of $1.00 cap; premium dropped: claude, gemini "
        "(worst case claude $0.60, gemini $0.70; $0.55 left)"
    ) in text
    assert "fallback: claude -> copilot" in text
    assert [c["name"] for c in sim_calls(sim_bin)] == ["claude", "copilot"]
    assert [e.kind for e in Event.select()].count("route.fallback") == 1
    spent = budget.status(config.budget).spent_usd
    assert spent == pytest.approx(sum(r.cost_usd for r in Run.select())) and spent <= 1.00


def test_parallel_p0_tasks_never_spend_past_the_cap(repo: Path, sim_bin: Path, ollama: str,
                                                    engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    # The case: many parallel P0 tasks each worth far more than the cap. Each claude
    # run is stopped by --max-budget-usd one call past its limit, inside its reservation;
    # copilot by --max-ai-credits; when no premium worst case fits, the local model works.
    config = engine_config(
        repo, ollama, budget={"max_premium_per_day": 1.00}, execution={"max_parallel": 4},
        providers=worst_cases(claude_opus_4_5=(0.30, 0.10), gpt_5=(0.40, 0.10)),
    )  # fmt: skip
    codes = [f"P{i}" for i in range(8)]
    plan = import_spec(config, tmp_path, [[
        task(code, f"Fix bug {code}.\nSIM: cost=0.60 calls=6\nSIM: write {code}.txt <<<x\n>>>",
             priority="P0") for code in codes
    ]])  # fmt: skip
    Executor(config, plan, parallel=4).run()
    premium = [r for r in Run.select() if r.provider in ("claude", "copilot", "gemini")]
    assert premium, dump()
    reserved = {r.run_id: r.usd for r in Ledger.select().where(Ledger.kind == "reserve")}
    for run in premium:
        assert run.cost_usd <= reserved[run.id] + 1e-9, (run.provider, run.cost_usd)
    stopped = [r for r in premium if r.provider == "claude"]
    assert stopped and all(r.cost_usd == pytest.approx(0.20) for r in stopped)
    assert not Event.select().where(Event.kind == "budget.overrun").exists()
    status = budget.status(config.budget)
    assert status.spent_usd <= 1.00 + 1e-9 and status.reserved_usd == 0.0
    assert status.spent_usd == pytest.approx(sum(r.cost_usd for r in Run.select()))


def test_a_cli_without_a_limit_overruns_and_raises_the_models_reservation(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama, providers=worst_cases(gemini_2_5_pro=(0.30, None)))
    plan = import_spec(config, tmp_path, [
        [task("G1", "Survey.\nSIM: output_tokens=50000", type="research", priority="P2")],
        [task("G2", "Survey again.\nSIM: output_tokens=1000", type="research", priority="P2")],
    ])  # fmt: skip
    assert Executor(config, plan).run().status == "done", dump()
    g1, g2 = (Run.select().join(Task).where(Task.code == c).get() for c in ("G1", "G2"))
    assert g1.provider == g2.provider == "gemini"
    assert "--max-budget-usd" not in g1.argv  # gemini has no per-run limit
    (event,) = Event.select().where(Event.kind == "budget.overrun")
    assert event.level == "warning" and event.task_id == g1.task_id
    assert event.data["run"] == g1.id and event.data["reserved"] == 0.30
    assert event.data["actual"] == pytest.approx(g1.cost_usd) and g1.cost_usd > 0.50
    # G2 reserved what G1 really cost (the learned p95), not the configured $0.30.
    g2_reserve = Ledger.get(Ledger.run == g2.id, Ledger.kind == "reserve")
    assert g2_reserve.usd == pytest.approx(g1.cost_usd)


def test_past_the_alert_p2_work_moves_to_a_cheaper_provider_with_the_reason(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama, providers=worst_cases(claude_opus_4_5=(9.5, 0.5)))
    plan = import_spec(config, tmp_path, [
        [task("T1", "Big fix.\nSIM: cost=8.5 calls=20\nSIM: write fix.txt <<<fixed\\n>>>", priority="P0")],
        [task("R1", "Compare caching libraries.", type="research", priority="P2")],
    ])  # fmt: skip
    assert Task.get(Task.code == "R1").provider == "gemini"
    assert Executor(config, plan).run().status == "done", dump()
    r1 = Task.get(Task.code == "R1")
    assert r1.provider == "copilot"
    assert any(
        "past the 80% alert: P2 premium work moves to a cheaper provider: gemini -> copilot" in r
        for r in r1.route_reasons
    )
    assert "budget.alert" in [e.kind for e in Event.select()]


def test_sensitive_task_only_ever_runs_opencode(repo: Path, sim_bin: Path, ollama: str,
                                                engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    # Even a configuration that (wrongly) allows cloud providers for sensitive tasks, and a
    # task that asks for claude, cannot send it anywhere but the local provider.
    config = engine_config(
        repo, ollama, routing={"by_privacy": {"sensitive": {"allowed_providers": ["claude", "copilot", "opencode"]},
                                              "public": {"allowed_providers": ["claude", "copilot", "gemini", "opencode"]},
                                              "internal": {"allowed_providers": ["copilot", "opencode"]}}},
        health={"cooldown_base_s": 0.2, "cooldown_max_s": 0.4},
    )  # fmt: skip
    plan = import_spec(config, tmp_path, [[
        task("S1", "SECRET-MARKER patient data\nSIM[round<2]: mode=rate_limit\nSIM: write s.txt <<<s\\n>>>",
             privacy="sensitive", priority="P0", provider="claude"),
        task("S2", "SECRET-MARKER payroll\nSIM[round<2]: mode=fail", privacy="sensitive", type="research"),
        task("N1", "public work\nSIM: write n.txt <<<n\\n>>>", priority="P0"),
    ]])  # fmt: skip
    assert Executor(config, plan, parallel=3).run().status == "done"
    sensitive = [c for c in sim_calls(sim_bin) if "SECRET-MARKER" in (c["prompt"] or "")]
    assert len(sensitive) >= 3  # S1 twice (rate limit), S2 twice (a failed round)
    assert {c["name"] for c in sensitive} == {"opencode"}
    assert {r.provider for r in Run.select().join(Task).where(Task.privacy == "sensitive")} == {
        "opencode"
    }
    assert Run.select().join(Task).where(Task.code == "N1").get().provider == "claude"


def test_privacy_invariant_checked_again_before_spawn(repo: Path, ollama: str, engine_db: Path,
                                                      tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, providers={"opencode": {"models": [
        {"id": "ollama/qwen3-coder", "privacy_safe": True}, {"id": "ollama/leaky", "privacy_safe": False}]}})  # fmt: skip
    plan = import_spec(config, tmp_path, [[task("S1", "x", privacy="sensitive")]])
    ctx = EngineContext.for_plan(config, plan, Bus(), threading.Event())

    def prep(provider: str, model: str, privacy: str = "sensitive") -> Prepared:
        return Prepared(
            1, "S1", "t", privacy, 1, "x", 1, provider, model, (), None, 0.0, 5.0, tmp_path / "l"
        )

    assert privacy_violation(ctx, prep("opencode", "ollama/qwen3-coder")) is None
    assert "not a local provider" in str(privacy_violation(ctx, prep("claude", "claude-opus-4-5")))
    assert "not privacy_safe" in str(privacy_violation(ctx, prep("opencode", "ollama/leaky")))
    assert privacy_violation(ctx, prep("claude", "claude-opus-4-5", "internal")) is None


def test_sensitive_task_waits_for_cooling_opencode_then_runs(repo: Path, sim_bin: Path, engine_db: Path,
                                                              tmp_path: Path) -> None:  # fmt: skip
    with serve_ollama() as url:
        port = int(url.rsplit(":", 1)[1])
    config = engine_config(repo, url, health={"cooldown_base_s": 0.5, "cooldown_max_s": 1})
    plan = import_spec(
        config, tmp_path, [[task("S1", "SIM: write s.txt <<<s\\n>>>", privacy="sensitive")]]
    )
    executor = Executor(config, plan)
    executor.start()
    deadline = time.monotonic() + 10
    while Task.get(Task.code == "S1").status != "blocked" and time.monotonic() < deadline:
        time.sleep(0.05)
    blocked = Task.get(Task.code == "S1")
    assert blocked.status == "blocked"
    assert blocked.blocked_reason.startswith("waiting for a provider to cool down: opencode")
    assert Run.select().count() == 0 and not sim_calls(sim_bin)
    with serve_ollama(port=port):  # Ollama comes back: the task moves by itself
        executor._thread.join(20)  # type: ignore[union-attr]
    assert executor.summary is not None and executor.summary.status == "done"
    assert Run.get().provider == "opencode"


def test_vault_values_reach_worker_env_and_are_redacted(repo: Path, sim_bin: Path, ollama: str,
                                                         engine_db: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", "a passphrase for the test vault")
    secret = "tok-Very-Secret-4242"
    Vault().set("demo", "API_TOKEN", secret)
    seen = sim_bin.parent / "seen.txt"  # the sandbox lets agents write the sim log's folder
    wrapper = ['sh', '-c', 'printf %s "$API_TOKEN" > "$SEEN_FILE"; exec opencode "$@"', 'sh',
               'run', '--format', 'json', '-m', '{model}', '{prompt}']  # fmt: skip
    config = engine_config(
        repo, ollama, providers={"opencode": {"cli": wrapper, "env": {"SEEN_FILE": str(seen)}}}
    )
    plan = import_spec(config, tmp_path, [[task("B1", f"use {secret} here\nSIM: write x.txt <<<x\\n>>>",
                                                 type="bulk", priority="P3")]])  # fmt: skip
    assert Executor(config, plan).run().status == "done"
    assert seen.read_text() == secret  # injected into the worker's environment
    run = Run.get()
    log = Path(run.log_path).read_text()
    assert secret not in log and "***REDACTED***" in log
    assert secret not in " ".join(run.argv)
