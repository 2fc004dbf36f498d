"""The simulated copilot against the recordings of the real Copilot CLI 1.0.102.

For each recorded case, the simulator runs the same kind of run with the shipped argv (a
real subprocess, as the engine starts it), and its output must have the real shape (see
``openai_shapes.sim_differences``) and lead the copilot worker to the verdict the real
run led it to. The recordings are made by ``tests/contract/test_contract_copilot.py``
(``CONVERGIO_RECORD=1``); this test needs no real CLI.
"""

from __future__ import annotations

from pathlib import Path

import openai_shapes
import pytest

from convergio_tui.providers import ErrorClass, ProviderResult, copilot, run_process
from convergio_tui.providers.runner import ProcessOutcome
from convergio_tui.sim.cli_args import COPILOT_UNQUOTED
from convergio_tui.sim.install import install_sim_bin, sim_path_env

CLI = "copilot"
# recorded case -> the prompt that makes the simulator do the same
CASES = {
    "success": "Say hello.",
    "tool_write": "Create hello.txt.\nSIM: write hello.txt <<<hello from copilot\\n>>>",
    "dash_prompt": "- fix the parser\n- then --help the tests",
    "non_ascii": "Résumé: café, 日本語 🚀",
    "http_429": "Say hello.\nSIM: mode=rate_limit",
    "http_500": "Say hello.\nSIM: mode=fail",
    "no_credentials": "Say hello.\nSIM: mode=auth",
}


@pytest.fixture(scope="module")
def sim_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The simulated CLIs first on PATH."""
    return sim_path_env(install_sim_bin(tmp_path_factory.mktemp("simbin")))


def run_sim(prompt: str, workdir: Path, env: dict[str, str],
            template: list[str] | None = None) -> tuple[ProcessOutcome, ProviderResult]:  # fmt: skip
    """The simulated copilot with the shipped argv; the worker's verdict on it."""
    inv = copilot.build_invocation(template or copilot.DEFAULT_TEMPLATE, prompt, "gpt-5", workdir)
    outcome = run_process(inv.argv, cwd=workdir, env={**env, **inv.env}, timeout_s=30,
                          log_path=None, stdin_text=inv.stdin_text)  # fmt: skip
    return outcome, copilot.parse(outcome)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_simulator_has_the_real_shape_and_verdict(
    case: str, tmp_path: Path, sim_env: dict[str, str]
) -> None:
    recorded = openai_shapes.load(CLI, case)
    outcome, result = run_sim(CASES[case], tmp_path, sim_env)
    sim = openai_shapes.shape(CLI, outcome.exit_code, outcome.stdout_lines)
    assert openai_shapes.sim_differences(CLI, recorded["shape"], sim) == []
    assert set(sim["types"]) <= openai_shapes.recorded_types(CLI)
    verdict = {"success": result.success, "error_class": str(result.error_class)}
    assert verdict == recorded["verdict"], result.error
    if not recorded["stdout"]:  # a failure before any session: the same words on stderr
        assert outcome.stderr_lines[0] == recorded["stderr"][0]


def test_every_worker_read_event_of_the_recordings_is_simulated(
    tmp_path: Path, sim_env: dict[str, str]
) -> None:
    seen: set[str] = set()
    for prompt in CASES.values():
        outcome, _ = run_sim(prompt, tmp_path, sim_env)
        seen |= {e["type"] for e in openai_shapes.shape(CLI, 0, outcome.stdout_lines)["events"]}
    real = openai_shapes.recorded_types(CLI) & openai_shapes.READ[CLI]
    assert real <= seen


def test_a_dash_prompt_after_dash_p_is_refused_as_the_real_cli_does(
    tmp_path: Path, sim_env: dict[str, str]
) -> None:
    """The old template (``-p {prompt}``) lost a markdown list: copilot took it for flags."""
    old = ["copilot", "-p", "{prompt}", "--output-format", "json", "--model", "{model}"]
    outcome, result = run_sim("- fix the parser", tmp_path, sim_env, template=old)
    assert outcome.exit_code == 1 and outcome.stdout_lines == ()
    assert "\n".join(outcome.stderr_lines).startswith(COPILOT_UNQUOTED.split("\n")[0])
    assert not result.success
    _, fixed = run_sim("- fix the parser", tmp_path, sim_env)  # the shipped --prompt=
    assert fixed.success, fixed.error


def test_tokens_and_credits_come_from_the_session_log(
    tmp_path: Path, sim_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON output has no tokens or credits (as the real one); the session log under
    COPILOT_HOME has them, and the worker reads them there."""
    home = tmp_path / "copilot-home"
    monkeypatch.setenv("COPILOT_HOME", str(home))
    env = {**sim_env, "COPILOT_HOME": str(home)}
    prompt = "Say hello.\nSIM: cost=0.07 output_tokens=900"
    outcome, result = run_sim(prompt, tmp_path, env)
    usage = openai_shapes.events(outcome.stdout_lines)[-1]["usage"]
    assert "aiCredits" not in usage and "inputTokens" not in usage
    assert result.success and result.credits == pytest.approx(7.0)
    assert (result.input_tokens, result.output_tokens) == (len(prompt) // 4, 900)
    assert (home / "session-state" / str(result.session_id) / "events.jsonl").exists()
    monkeypatch.delenv("COPILOT_HOME")
    _, unknown = run_sim(prompt, tmp_path, sim_env)  # no session log: nothing known
    assert unknown.success and unknown.credits is None and unknown.input_tokens == 0


def test_a_github_token_without_network_is_not_auth() -> None:
    """Copilot's words when it cannot reach GitHub to check a token (recorded from the
    real CLI with no network): an outage, retryable, although it names the token."""
    stderr = (
        "Error: Authentication token found but could not be validated.",
        "",
        "  Failed to fetch PAT user login: network fetch failed: request failed: error "
        "sending request for url (https://api.github.com/copilot_internal/user)",
        "",
        "Your token may still be valid. Check your network connection and try again.",
    )
    outcome = ProcessOutcome(1, (), stderr, False, False, False, 1, 1.0)
    result = copilot.parse(outcome)
    assert not result.success and result.error_class is ErrorClass.failed
    assert "could not be validated" in result.error
