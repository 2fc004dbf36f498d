"""Hard per-run limits: the provider adapters pass them, the simulated CLIs honour them the way the
real ones do (checked after each model call), and the parsers read what a stopped run
cost. Real subprocesses under the real CLI names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convergio_tui.providers import (
    ErrorClass,
    ProviderResult,
    claude,
    copilot,
    get_adapter,
    run_process,
)
from convergio_tui.providers.runner import ProcessOutcome
from convergio_tui.sim.install import install_sim_bin, sim_path_env

WORKDIR = Path("/work")
FILES = "".join(f"SIM: write f{i}.txt <<<{i}\\n>>>\n" for i in range(5))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment with the simulated CLIs first on PATH."""
    return sim_path_env(install_sim_bin(tmp_path_factory.mktemp("simbin")))


def run(provider: str, prompt: str, tmp_path: Path, env: dict[str, str],
        limit: float | None) -> tuple[ProcessOutcome, ProviderResult]:  # fmt: skip
    """Build the invocation with ``limit`` (the engine's path), run the sim, parse it."""
    worker = get_adapter(provider)
    extra = {"limit": limit} if limit is not None else {}
    model = {"claude": "claude-opus-4-5", "copilot": "gpt-5"}[provider]
    inv = worker.build_invocation(worker.DEFAULT_TEMPLATE, prompt, model, tmp_path, **extra)
    outcome = run_process(inv.argv, cwd=tmp_path, env={**env, **inv.env}, timeout_s=30,
                          log_path=tmp_path / "run.log", stdin_text=inv.stdin_text)  # fmt: skip
    return outcome, worker.parse(outcome)


def test_adapters_append_the_limit_and_stay_compatible_without_one() -> None:
    plain = claude.build_invocation(claude.DEFAULT_TEMPLATE, "p", "m", WORKDIR)
    assert plain.argv == [*claude.DEFAULT_TEMPLATE[:6], "m", *claude.DEFAULT_TEMPLATE[7:]]
    limited = claude.build_invocation(claude.DEFAULT_TEMPLATE, "p", "m", WORKDIR, limit=2.25)
    assert limited.argv[-2:] == ["--max-budget-usd", "2.2500"] and limited.stdin_text == "p"
    credits = copilot.build_invocation(copilot.DEFAULT_TEMPLATE, "p", "gpt-5", WORKDIR, limit=75.0)
    assert credits.argv[-2:] == ["--max-ai-credits", "75"]
    assert "--max-ai-credits" not in copilot.build_invocation(
        copilot.DEFAULT_TEMPLATE, "p", "gpt-5", WORKDIR).argv  # fmt: skip


def test_claude_stops_after_the_call_that_crosses_its_budget(tmp_path: Path,
                                                             env: dict[str, str]) -> None:  # fmt: skip
    # $1.20 over 6 calls ($0.20 each) with a $0.50 limit: calls 1-3 run ($0.60), then stop.
    outcome, result = run("claude", "Big job.\nSIM: cost=1.2 calls=6\n" + FILES, tmp_path,
                          env, limit=0.5)  # fmt: skip
    final = json.loads(outcome.stdout_lines[-1])
    assert (final["type"], final["subtype"], final["is_error"]) == (
        "result", "error_max_budget_usd", True)  # fmt: skip
    assert final["total_cost_usd"] == pytest.approx(0.60)  # past the limit by one call, no more
    assert outcome.exit_code == 1
    assert not result.success
    assert result.error_class is ErrorClass.spending_limit  # its own limit, not a provider fault
    assert result.cost_usd == pytest.approx(0.60)
    assert "stopped at its spending limit (--max-budget-usd)" in result.error
    # Call 2's file was written before call 3; call 3 crossed the limit, so the file it
    # asked for was never written (the real claude stops before running that tool).
    assert sorted(p.name for p in tmp_path.glob("f*.txt")) == ["f0.txt"]


def test_claude_within_its_budget_finishes(tmp_path: Path, env: dict[str, str]) -> None:
    # Only the last call crosses: the run had ended by then, as with the real CLI.
    _, result = run("claude", "Job.\nSIM: cost=0.6 calls=3\n", tmp_path, env, limit=0.5)
    assert result.success and result.cost_usd == pytest.approx(0.60)
    _, unlimited = run("claude", "Job.\nSIM: cost=1.2 calls=6\n", tmp_path, env, limit=None)
    assert unlimited.success and unlimited.cost_usd == pytest.approx(1.2)


def test_copilot_honours_max_ai_credits_and_reports_credits(
        tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # copilot keeps its AI credits in its session log (COPILOT_HOME), not on stdout.
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "copilot-home"))
    env = {**env, "COPILOT_HOME": str(tmp_path / "copilot-home")}
    # 100 credits ($1.00) over 4 calls of 25 credits, limit 40: stops after call 2 (50).
    outcome, result = run("copilot", "Job.\nSIM: cost=1.0 calls=4\n", tmp_path, env, limit=40)
    events = [json.loads(line) for line in outcome.stdout_lines]
    assert events[-2]["type"] == "session.error"
    assert events[-2]["data"]["errorType"] == "session_limit"
    assert not result.success and result.error_class is ErrorClass.spending_limit
    assert result.credits == 50 and result.cost_usd is None
    assert "stopped at its spending limit (--max-ai-credits) after 50 AI credits" in result.error
    _, done = run("copilot", "Job.\nSIM: cost=0.07\n", tmp_path, env, limit=40)
    assert done.success and done.credits == pytest.approx(7.0) and done.premium_requests == 1.0


def test_copilot_refuses_a_limit_under_30_credits(tmp_path: Path, env: dict[str, str]) -> None:
    outcome, result = run("copilot", "Job.", tmp_path, env, limit=12)
    assert outcome.exit_code == 1 and not result.success
    assert "--max-ai-credits must be at least 30" in "\n".join(outcome.stderr_lines)
