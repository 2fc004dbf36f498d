"""Budget and privacy at dispatch: the cap reached mid-plan walks premium tasks to copilot;
a sensitive task only ever runs on opencode; vault secrets reach the worker's environment
and never its log."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from engine_fixtures import engine_config, import_spec, sim_calls, task

from convergio_tui.engine import budget
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import Prepared, privacy_violation
from convergio_tui.engine.events import Bus
from convergio_tui.engine.executor import Executor
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.store.models import Event, Run, Task
from convergio_tui.tools.vault import Vault


def test_cap_reached_mid_plan_falls_back_to_copilot(repo: Path, sim_bin: Path, ollama: str,
                                                    engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, budget={"max_premium_per_day": 1.00})
    plan = import_spec(config, tmp_path, [
        [task("T1", "Fix the outage.\nSIM: cost=1.2\nSIM: write a.txt <<<a\\n>>>", priority="P0")],
        [task("T2", "Fix the next bug.\nSIM: write b.txt <<<b\\n>>>", priority="P0"),
         task("T3", "Compare caching libraries.", type="research", priority="P2")],
    ])  # fmt: skip
    planned = {t.code: t.executor_agent for t in Task.select()}
    assert planned == {"T1": "claude", "T2": "claude", "T3": "gemini"}  # before any spend
    assert Executor(config, plan).run().status == "done"

    runs = {r.task.code: r for r in Run.select()}
    assert (runs["T1"].provider, runs["T1"].cost_usd) == ("claude", 1.2)
    for code, was in (("T2", "claude"), ("T3", "gemini")):
        run = runs[code]
        assert (run.provider, run.fallback_from, run.cost_usd) == ("copilot", was, 0.0)
        text = " | ".join(run.route_reasons)
        assert "budget: $1.20 used of $1.00 cap; premium dropped" in text
        assert f"fallback: {was} -> copilot" in text
    assert [c["name"] for c in sim_calls(sim_bin)].count("claude") == 1
    assert "gemini" not in [c["name"] for c in sim_calls(sim_bin)]
    kinds = [e.kind for e in Event.select().order_by(Event.id)]
    assert kinds.count("route.fallback") == 2
    assert "budget.alert" in kinds and "budget.capped" in kinds
    assert budget.status(config.budget).spent_usd == pytest.approx(1.2)


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
             privacy="sensitive", priority="P0", executor_agent="claude"),
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
