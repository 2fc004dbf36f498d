"""The simulated opencode against the recordings of the real OpenCode 1.18.33.

For each recorded case, the simulator runs the same kind of run with the shipped argv
(the prompt on stdin; a real subprocess, as the engine starts it), and its output must
have the real shape (see ``openai_shapes.sim_differences``) and lead the opencode worker
to the verdict the real run led it to. The recordings are made by
``tests/contract/test_contract_opencode.py`` (``CONVERGIO_RECORD=1``); this test needs
no real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import openai_shapes
import pytest

from convergio_tui.providers import ErrorClass, ProviderResult, opencode, run_process
from convergio_tui.providers.runner import ProcessOutcome
from convergio_tui.sim.install import install_sim_bin, sim_path_env

CLI = "opencode"
MODEL = "ollama/qwen3-coder"
# recorded case -> (the prompt that makes the simulator do the same, the model)
CASES = {
    "success": ("Say hello.", MODEL),
    "tool_write": ("Write notes.txt.\nSIM: write notes.txt <<<hello from opencode\\n>>>", MODEL),
    "dash_prompt": ("- fix the parser\n- then --help the tests", MODEL),
    "large_prompt": ("".join(f"line {i:05d}: {'x' * 50}\n" for i in range(1000)), MODEL),
    "http_401": ("Say hello.\nSIM: mode=auth", MODEL),
    "http_429": ("Say hello.\nSIM: mode=rate_limit", MODEL),
    "http_500": ("Say hello.\nSIM: mode=fail", MODEL),
    "model_missing": ("Say hello.\nSIM: mode=model_not_found", "ollama/llama3.3"),
}


@pytest.fixture(scope="module")
def sim_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The simulated CLIs first on PATH."""
    return sim_path_env(install_sim_bin(tmp_path_factory.mktemp("simbin")))


def run_sim(prompt: str, workdir: Path, env: dict[str, str], model: str = MODEL,
            template: list[str] | None = None) -> tuple[ProcessOutcome, ProviderResult]:  # fmt: skip
    """The simulated opencode with the shipped argv; the worker's verdict on it."""
    inv = opencode.build_invocation(template or opencode.DEFAULT_TEMPLATE, prompt, model, workdir)
    outcome = run_process(inv.argv, cwd=workdir, env={**env, **inv.env}, timeout_s=30,
                          log_path=None, stdin_text=inv.stdin_text)  # fmt: skip
    return outcome, opencode.parse(outcome)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_simulator_has_the_real_shape_and_verdict(
    case: str, tmp_path: Path, sim_env: dict[str, str]
) -> None:
    recorded = openai_shapes.load(CLI, case)
    prompt, model = CASES[case]
    outcome, result = run_sim(prompt, tmp_path, sim_env, model)
    sim = openai_shapes.shape(CLI, outcome.exit_code, outcome.stdout_lines)
    assert openai_shapes.sim_differences(CLI, recorded["shape"], sim) == []
    assert set(sim["types"]) <= openai_shapes.recorded_types(CLI)
    verdict = {"success": result.success, "error_class": str(result.error_class)}
    assert verdict == recorded["verdict"], result.error


def test_a_model_missing_from_opencode_json_is_named_in_the_error(
    tmp_path: Path, sim_env: dict[str, str]
) -> None:
    """The JSON says only UnknownError; the log line on stderr names the model, and the
    worker says which model and what to do."""
    env = {**sim_env, "CONVERGIO_SIM_OPENCODE_MODELS": MODEL}
    outcome, result = run_sim("Say hello.", tmp_path, env, "ollama/llama3.3")
    assert json.loads(outcome.stdout_lines[-1])["error"]["name"] == "UnknownError"
    assert result.error_class is ErrorClass.model_not_found
    assert "model ollama/llama3.3 is not configured" in result.error
    assert "opencode.json" in result.error
    without_logs = [a for a in opencode.DEFAULT_TEMPLATE if a not in ("--print-logs",)]
    _, vague = run_sim("Say hello.", tmp_path, env, "ollama/llama3.3", template=without_logs)
    assert not vague.success and "opencode reported only UnknownError" in vague.error
    assert "opencode.json" in vague.error and "--print-logs" in vague.error


def test_a_prompt_in_argv_is_quoted_as_the_real_cli_quotes_it(
    tmp_path: Path, sim_env: dict[str, str]
) -> None:
    """opencode run wraps an argument holding a space in quotes (and escapes its quotes):
    with ``{prompt}`` in the template the model never gets the prompt as written; the
    shipped template pipes it on stdin instead."""
    log = tmp_path / "sim.jsonl"
    env = {**sim_env, "CONVERGIO_SIM_LOG": str(log)}
    prompt = 'Say "hello" to\nthe team'
    old = ["opencode", "run", "--format", "json", "-m", "{model}", "{prompt}"]
    run_sim(prompt, tmp_path, env, template=old)
    _, result = run_sim(prompt, tmp_path, env)
    assert result.success, result.error
    seen = [json.loads(line)["prompt"] for line in log.read_text().splitlines()]
    assert seen == ['"Say \\"hello\\" to\nthe team"', prompt]


def test_the_sim_works_in_the_folder_dir_names(tmp_path: Path, sim_env: dict[str, str]) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    inv = opencode.build_invocation(opencode.DEFAULT_TEMPLATE, "SIM: write a.txt <<<a>>>",
                                    MODEL, work)  # fmt: skip
    outcome = run_process(inv.argv, cwd=elsewhere, env={**sim_env, **inv.env}, timeout_s=30,
                          log_path=None, stdin_text=inv.stdin_text)  # fmt: skip
    assert opencode.parse(outcome).success
    assert (work / "a.txt").read_text() == "a" and not (elsewhere / "a.txt").exists()
