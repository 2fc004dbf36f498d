"""Provider health: real checks of the simulated CLIs and a stand-in Ollama, the TTL
cache, cooldowns with backoff, worker-observed errors, and ``convergio health``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import run_cli
from engine_fixtures import engine_config, engine_config_dict, sim_calls, write_config

from convergio_tui.engine import health
from convergio_tui.engine.snapshot import health_views
from convergio_tui.sim.install import install_sim_bin
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.store.models import ProviderHealth


def _row(name: str) -> ProviderHealth:
    return ProviderHealth.get(ProviderHealth.provider == name)


def test_all_providers_up_with_versions_and_ollama(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    config = engine_config(repo, ollama)
    checked = health.refresh(config)
    assert sorted(checked) == ["claude", "copilot", "gemini", "opencode"]
    doc = health.health_document(config)
    for name in checked:
        assert doc[name]["state"] == "up", doc[name]
        assert isinstance(doc[name]["latency_ms"], float)
        assert doc[name]["cooldown_until"] is None
    assert "Claude Code" in str(doc["claude"]["detail"])
    assert "ollama 0.12.0" in str(doc["opencode"]["detail"])
    # claude's auth_check is `claude auth status`: really asked.
    assert [c["name"] for c in sim_calls(sim_bin, "auth_status")] == ["claude"]


def test_ttl_cache_skips_checks_until_forced(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    config = engine_config(repo, ollama)
    health.refresh(config)
    calls = len(sim_calls(sim_bin, "version"))
    assert health.refresh(config) == []  # within ttl_s: nothing re-run
    assert len(sim_calls(sim_bin, "version")) == calls
    assert len(health.refresh(config, force=True)) == 4
    assert len(sim_calls(sim_bin, "version")) == calls + 4


def test_missing_cli_is_down(repo: Path, tmp_path: Path, ollama: str, engine_db: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    only = install_sim_bin(tmp_path / "only-copilot", names=["copilot"])
    monkeypatch.setenv("PATH", f"{only}{os.pathsep}/usr/bin{os.pathsep}/bin")
    config = engine_config(repo, ollama)
    health.refresh(config, providers=["claude", "copilot"])
    assert _row("copilot").state == "up"
    claude = _row("claude")
    assert claude.state == "down"
    assert "not found on PATH" in claude.detail
    assert claude.cooldown_until is not None  # not checked again before the backoff ends


def test_auth_failure_backs_off_exponentially(repo: Path, sim_bin: Path, ollama: str, engine_db: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("CONVERGIO_SIM_CLAUDE_AUTH", "fail")
    config = engine_config(repo, ollama, health={"cooldown_base_s": 10, "cooldown_max_s": 25})
    health.refresh(config, providers=["claude"])
    first = _row("claude")
    assert first.state == "down" and first.consecutive_failures == 1
    assert "exited 1" in first.detail
    assert first.cooldown_until - first.checked_at == pytest.approx(10, abs=1)
    assert health.refresh(config, providers=["claude"]) == []  # backing off: no check
    health.refresh(config, force=True, providers=["claude"])
    second = _row("claude")
    assert second.consecutive_failures == 2
    assert second.cooldown_until - second.checked_at == pytest.approx(20, abs=1)
    health.refresh(config, force=True, providers=["claude"])
    assert _row("claude").cooldown_until - _row("claude").checked_at == pytest.approx(
        25, abs=1
    )  # capped
    monkeypatch.delenv("CONVERGIO_SIM_CLAUDE_AUTH")
    health.refresh(config, force=True, providers=["claude"])
    healed = _row("claude")
    assert (healed.state, healed.consecutive_failures, healed.cooldown_until) == ("up", 0, None)


def test_ollama_not_answering_cools_opencode(repo: Path, sim_bin: Path, engine_db: Path) -> None:
    with serve_ollama() as url:
        pass  # the port is closed again: nothing answers there now
    config = engine_config(repo, url)
    health.refresh(config, providers=["opencode"])
    row = _row("opencode")
    assert row.state == "cooldown"
    assert "not answering" in row.detail
    assert health_views()["opencode"].state == "cooldown"


def test_unpulled_model_is_shown(repo: Path, sim_bin: Path, engine_db: Path) -> None:
    with serve_ollama(["qwen3-coder:latest"]) as url:
        config = engine_config(repo, url)
        health.refresh(config, providers=["opencode"])
    row = _row("opencode")
    assert row.state == "up"
    assert "models not pulled: llama3.3" in row.detail


def test_worker_rate_limit_cools_at_once_then_recovers(repo: Path, sim_bin: Path, ollama: str,
                                                       engine_db: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, health={"cooldown_base_s": 40})
    health.refresh(config)
    until = health.report_worker_error(config, "gemini", "rate_limit", "429 RESOURCE_EXHAUSTED")
    assert until is not None
    view = health_views()["gemini"]
    assert view.state == "cooldown" and "rate limit" in view.detail
    assert health.next_recovery_at(["gemini", "claude"]) == pytest.approx(until)
    assert (
        health.report_worker_error(config, "gemini", "failed", "boom") is None
    )  # not a cooling error
    # After the cooldown the router sees it up again, and the next refresh re-checks it.
    assert health_views(at=until + 1)["gemini"].state == "up"


def test_health_cli_json(repo: Path, sim_bin: Path, ollama: str, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "orchestrator.yaml", engine_config_dict(repo, ollama))
    data = engine_config_dict(repo, ollama)
    data["providers"]["gemini"]["enabled"] = False
    cfg = write_config(tmp_path / "orchestrator.yaml", data)
    proc = run_cli("--config", str(cfg), "--db", str(tmp_path / "c.db"), "health", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) == {"claude", "copilot", "gemini", "opencode"}
    for name in ("claude", "copilot", "opencode"):
        assert {"state", "latency_ms", "detail", "cooldown_until"} <= set(doc[name])
        assert doc[name]["state"] == "up"
    assert doc["gemini"]["state"] == "down" and "disabled" in doc["gemini"]["detail"]
    text = run_cli("--config", str(cfg), "--db", str(tmp_path / "c.db"), "health", "--refresh")
    assert text.returncode == 0
    assert "claude" in text.stdout and "up" in text.stdout
