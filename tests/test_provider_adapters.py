"""Each provider worker end to end: build the argv, run the simulated CLI, parse it.

The simulator runs as a real subprocess under the real CLI name, found on PATH.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from convergio_tui.providers import PROVIDERS, ErrorClass, ProviderResult, get_adapter, run_process
from convergio_tui.providers.runner import ProcessOutcome
from convergio_tui.sim.install import install_sim_bin, sim_path_env

MODELS = {
    "claude": "claude-sonnet-4-5",
    "copilot": "gpt-5",
    "gemini": "gemini-2.5-pro",
    "opencode": "ollama/qwen3-coder",
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment with the simulated CLIs first on PATH."""
    return sim_path_env(install_sim_bin(tmp_path_factory.mktemp("simbin")))


def execute(
    provider: str,
    prompt: str,
    workdir: Path,
    env: dict[str, str],
    template: list[str] | None = None,
) -> tuple[ProcessOutcome, ProviderResult]:
    """What the engine does for one dispatch, minus the database."""
    worker = get_adapter(provider)
    inv = worker.build_invocation(
        template or worker.DEFAULT_TEMPLATE, prompt, MODELS[provider], workdir
    )
    outcome = run_process(
        inv.argv,
        cwd=workdir,
        env={**env, **inv.env},
        timeout_s=30,
        log_path=workdir.parent / f"{provider}.log",
        stdin_text=inv.stdin_text,
    )
    return outcome, worker.parse(outcome)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The task's working directory."""
    path = tmp_path / "wt"
    path.mkdir()
    return path


@pytest.mark.parametrize("provider", PROVIDERS)
def test_happy_path_writes_files_and_reports_usage(
    provider: str, workdir: Path, env: dict[str, str]
) -> None:
    prompt = (
        "Add a greeting module.\n"
        "SIM: write pkg/greet.py <<<def greet() -> str:\\n    return 'hi'\\n>>>\n"
        "SIM: write README.md <<<# demo\\n>>>\n"
    )
    _, result = execute(provider, prompt, workdir, env)
    assert result.success, result.error
    assert result.error_class is ErrorClass.none and result.error == ""
    assert (workdir / "pkg" / "greet.py").read_text() == "def greet() -> str:\n    return 'hi'\n"
    assert (workdir / "README.md").read_text() == "# demo\n"
    assert "pkg/greet.py" in result.text
    assert result.session_id
    if provider == "copilot":
        assert (result.input_tokens, result.output_tokens) == (0, 0)  # copilot reports none
        assert result.premium_requests == 1.0 and result.cost_usd is None
    else:
        assert result.input_tokens == len(prompt) // 4
        assert result.output_tokens > 0
    if provider == "claude":  # total_cost_usd at the sim's fixed $3/$15 per Mtok
        usd = (result.input_tokens * 3 + result.output_tokens * 15) / 1_000_000
        assert result.cost_usd == pytest.approx(usd)
    elif provider == "opencode":
        assert result.cost_usd == 0.0  # local model: free
    else:
        assert result.cost_usd is None  # no USD reported: the engine prices tokens


# (provider, mode) -> (error class, exit code): exit codes show the traps are real.
FAILURES = {
    ("claude", "fail"): (ErrorClass.failed, 1),
    ("copilot", "fail"): (ErrorClass.failed, 1),
    ("gemini", "fail"): (ErrorClass.failed, 1),
    ("opencode", "fail"): (ErrorClass.failed, 1),
    ("claude", "rate_limit"): (ErrorClass.rate_limit, 1),  # success subtype, is_error true
    ("copilot", "rate_limit"): (ErrorClass.rate_limit, 1),
    ("gemini", "rate_limit"): (ErrorClass.rate_limit, 173),
    ("opencode", "rate_limit"): (ErrorClass.rate_limit, 1),
    ("claude", "auth"): (ErrorClass.auth, 1),
    ("copilot", "auth"): (ErrorClass.auth, 1),  # 1.0.102: its words on stderr
    ("gemini", "auth"): (ErrorClass.auth, 41),
    ("opencode", "auth"): (ErrorClass.auth, 1),
    ("claude", "model_not_found"): (ErrorClass.model_not_found, 1),
    ("copilot", "model_not_found"): (ErrorClass.model_not_found, 1),
    ("gemini", "model_not_found"): (ErrorClass.model_not_found, 1),
    ("opencode", "model_not_found"): (ErrorClass.model_not_found, 1),  # 1.18.33: exit 1
    **{(p, "garbage"): (ErrorClass.failed, 0) for p in PROVIDERS},
    **{(p, "no_result"): (ErrorClass.failed, 0) for p in PROVIDERS},
    **{(p, "crash"): (ErrorClass.crashed, -11) for p in PROVIDERS},
}


@pytest.mark.parametrize(("provider", "mode"), sorted(FAILURES))
def test_failures_are_classified(
    provider: str, mode: str, workdir: Path, env: dict[str, str]
) -> None:
    expected_class, expected_exit = FAILURES[(provider, mode)]
    prompt = f"Do the task.\nSIM: mode={mode}\n"
    outcome, result = execute(provider, prompt, workdir, env)
    assert outcome.exit_code == expected_exit
    assert not result.success
    assert result.error_class is expected_class, result.error
    assert result.error
    assert not list(workdir.iterdir())  # no file, and no core dump from the crash


def test_claude_rate_limit_is_not_success_despite_its_success_subtype(
    workdir: Path, env: dict[str, str]
) -> None:
    outcome, result = execute("claude", "SIM: mode=rate_limit", workdir, env)
    assert outcome.exit_code == 1  # 2.1.x; older versions exited 0
    assert '"subtype":"success"' in outcome.stdout_lines[-1]
    assert result.error_class is ErrorClass.rate_limit
    assert "429" in result.error


def test_failure_in_an_early_round_then_success(workdir: Path, env: dict[str, str]) -> None:
    prompt = "Fix it\nSIM[round<2]: mode=fail\nSIM: write fix.txt <<<round ok>>>\n"
    _, first = execute("gemini", prompt, workdir, env)
    assert first.error_class is ErrorClass.failed
    retry = prompt + "THOR-REJECTION round 1: gate 1 failed: verify command exited 1\n"
    _, second = execute("gemini", retry, workdir, env)
    assert second.success and "round 2" in second.text


def test_an_unknown_flag_added_to_a_template_still_runs(workdir: Path, env: dict[str, str]) -> None:
    template = [*get_adapter("opencode").DEFAULT_TEMPLATE, "--new-flag"]
    _, result = execute("opencode", "SIM: write a.txt <<<a>>>", workdir, env, template)
    assert result.success and (workdir / "a.txt").read_text() == "a"


def test_alternative_json_formats_parse(workdir: Path, env: dict[str, str]) -> None:
    claude_json = ["claude", "-p", "{prompt}", "--output-format", "json", "--model", "{model}"]
    _, claude = execute("claude", "SIM: output_tokens=77", workdir, env, claude_json)
    assert claude.success and claude.output_tokens == 77
    gemini_json = ["gemini", "-p", "{prompt}", "-m", "{model}", "-o", "json"]
    _, gemini = execute("gemini", "SIM: output_tokens=55", workdir, env, gemini_json)
    assert gemini.success and gemini.output_tokens == 55 and "Done" in gemini.text


def test_a_timeout_is_classified_for_every_provider(tmp_path: Path, env: dict[str, str]) -> None:
    for provider in PROVIDERS:
        worker = get_adapter(provider)
        inv = worker.build_invocation(
            worker.DEFAULT_TEMPLATE, "SIM: mode=hang", MODELS[provider], tmp_path
        )
        outcome = run_process(
            inv.argv,
            cwd=tmp_path,
            env={**env, **inv.env},
            timeout_s=0.4,
            log_path=None,
            stdin_text=inv.stdin_text,
        )
        result = worker.parse(outcome)
        assert result.error_class is ErrorClass.timeout, provider
        assert not result.success
