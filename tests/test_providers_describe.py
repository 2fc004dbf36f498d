"""``describe_line``: each provider's output lines as a person reads them.

The lines come from the simulated CLIs run as real subprocesses under the real names,
through the real runner, read back from the log the engine writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convergio_tui.providers import PROVIDERS, describer, get_adapter, run_process
from convergio_tui.providers.describe import done_line, failure_line, short_path, tool_line
from convergio_tui.sim.install import install_sim_bin, sim_path_env

MODELS = {
    "claude": "claude-sonnet-4-5",
    "copilot": "gpt-5",
    "gemini": "gemini-2.5-pro",
    "opencode": "ollama/qwen3-coder",
}
WRITE = "Add a greeting.\nSIM: write pkg/greet.py <<<def greet() -> str:\\n    return 'hi'\\n>>>\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment with the simulated CLIs first on PATH."""
    return sim_path_env(install_sim_bin(tmp_path_factory.mktemp("simbin")))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A task worktree laid out as the engine lays them out: worktrees/<plan>/<task>."""
    path = tmp_path / "home" / "worktrees" / "1" / "T1-01"
    path.mkdir(parents=True)
    return path


def log_lines(
    provider: str,
    prompt: str,
    workdir: Path,
    env: dict[str, str],
    template: list[str] | None = None,
) -> list[str]:
    """Run the simulated CLI as the engine does; the ``[out]``/``[err]`` lines of its log."""
    worker = get_adapter(provider)
    inv = worker.build_invocation(
        template or worker.DEFAULT_TEMPLATE, prompt, MODELS[provider], workdir
    )
    log = workdir.parent / f"{provider}.log"
    run_process(inv.argv, cwd=workdir, env={**env, **inv.env}, timeout_s=30, log_path=log,
                stdin_text=inv.stdin_text)  # fmt: skip
    lines = log.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.startswith(("[out] ", "[err] "))]


def described(provider: str, lines: list[str]) -> list[str]:
    """What the pane shows for ``lines``: the described ones, nothing for the rest."""
    describe = describer(provider)
    return [text for text in map(describe, lines) if text is not None]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_successful_run_reads_as_a_story(
    provider: str, workdir: Path, env: dict[str, str]
) -> None:
    prompt = WRITE + "SIM: output_tokens=1234 cost=0.07\n"
    lines = log_lines(provider, prompt, workdir, env)
    assert all(line[6:].startswith("{") for line in lines)  # the log keeps the raw JSON
    tokens = f"{len(prompt) // 4:,} in / 1,234 out tokens"
    step_in = len(prompt) // 4 // 2
    expected = {
        "claude": ["▶ session started · model claude-sonnet-4-5",
                   "Working on the task (round 1).", "⚙ Write pkg/greet.py", "↳ ok",
                   "Done (round 1): wrote pkg/greet.py.", f"✔ done · {tokens} · $0.07"],
        "copilot": ["▶ session started · model gpt-5", "Working on the task (round 1).",
                    "⚙ create pkg/greet.py", "↳ ok", "Done (round 1): wrote pkg/greet.py.",
                    "✔ done · 1 premium request"],  # credits: in its session log
        "gemini": ["▶ session started · model gemini-2.5-pro", "Working on the task (round 1).",
                   "⚙ write_file pkg/greet.py", "↳ ok", "Done (round 1): wrote pkg/greet.py.",
                   f"✔ done · {tokens}"],
        "opencode": ["Working on the task (round 1).", "⚙ write pkg/greet.py\n↳ ok",
                     f"✔ step done · {step_in:,} in / 617 out tokens",  # one per model call
                     "Done (round 1): wrote pkg/greet.py.",
                     f"✔ done · {len(prompt) // 4 - step_in:,} in / 617 out tokens"],
    }  # fmt: skip
    assert described(provider, lines) == expected[provider]


def test_progress_text_shows_once_per_line_and_no_json_is_left(
    workdir: Path, env: dict[str, str]
) -> None:
    for provider in PROVIDERS:
        shown = described(provider, log_lines(provider, "SIM: lines=3", workdir, env))
        progress = [text for text in shown if text.startswith("sim output line")]
        assert progress == [f"sim output line {i} of 3" for i in (1, 2, 3)], provider
        assert not any("{" in text for text in shown), (provider, shown)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_rate_limit_reads_as_such(provider: str, workdir: Path, env: dict[str, str]) -> None:
    shown = described(provider, log_lines(provider, "SIM: mode=rate_limit", workdir, env))
    assert "✘ rate limited (429)" in shown, shown
    if provider == "gemini":  # its report on stderr, stack trace and all: still described
        lines = log_lines(provider, "SIM: mode=rate_limit", workdir, env)
        # stdout and stderr are read by two threads: find the lines, whatever the order.
        errors = [line for line in lines if line.startswith("[err] ")]
        assert set(described(provider, errors)) == {"✘ rate limited (429)"}


FAILURE_LINES = {
    ("claude", "fail"): "✘ error_during_execution: simulated failure in round 1",
    ("copilot", "fail"): "✘ failed (500): Failed to get response from the AI model; "
    "simulated failure in round 1",
    ("gemini", "fail"): "✘ Error: simulated failure in round 1",
    ("opencode", "fail"): "✘ APIError (500): simulated failure in round 1",
    ("claude", "auth"): "✘ authentication failed (401): Invalid API key · Fix external API key",
    ("opencode", "auth"): "✘ authentication failed (401): Incorrect API key provided.",
    ("claude", "model_not_found"): "✘ model not found (404): There's an issue with the "
    "selected model (claude-sonnet-4-5). It may not exist or you may not have access to it. "
    "Run --model to pick a different model.",
    ("opencode", "model_not_found"): "✘ model not found: ProviderModelNotFoundError: Model not "
    "found: ollama/qwen3-coder.",
}


@pytest.mark.parametrize(("provider", "mode"), sorted(FAILURE_LINES))
def test_failures_say_what_went_wrong(
    provider: str, mode: str, workdir: Path, env: dict[str, str]
) -> None:
    shown = described(provider, log_lines(provider, f"SIM: mode={mode}", workdir, env))
    assert FAILURE_LINES[(provider, mode)] in shown, shown


def test_gemini_auth_failure_on_stderr_is_cut_short(workdir: Path, env: dict[str, str]) -> None:
    (line,) = described("gemini", log_lines("gemini", "SIM: mode=auth", workdir, env))
    assert line.startswith("✘ authentication failed: Please set an Auth method")
    assert line.endswith("…") and len(line) < 200


def test_plain_lines_stay_as_they_are_without_their_prefix(
    workdir: Path, env: dict[str, str]
) -> None:
    lines = log_lines("claude", "SIM: mode=garbage", workdir, env)
    shown = described("claude", lines)
    assert "Loading model weights... done" in shown
    assert '{"type": "assistant", "message": {not json at all' in shown  # broken JSON: as is
    assert not any(text.startswith(("[out]", "[err]")) for text in shown)
    stderr = log_lines("copilot", "SIM: mode=model_not_found", workdir, env)
    assert described("copilot", stderr)[0].startswith('Error: Model "gpt-5" from --model flag')


def test_empty_gemini_deltas_and_bookkeeping_show_nothing(
    workdir: Path, env: dict[str, str]
) -> None:
    lines = log_lines("gemini", "SIM: lines=1", workdir, env)
    delta = json.loads(next(line[6:] for line in lines if '"type":"message"' in line))
    assert get_adapter("gemini").describe_line(json.dumps(delta | {"content": "\n"})) is None
    user = delta | {"role": "user", "content": "the prompt"}
    assert get_adapter("gemini").describe_line(json.dumps(user)) is None
    opencode = log_lines("opencode", "SIM: lines=1", workdir, env)
    assert get_adapter("opencode").describe_line(opencode[0]) is None  # step_start


def test_the_json_formats_describe_too(workdir: Path, env: dict[str, str]) -> None:
    gemini_json = ["gemini", "-p", "{prompt}", "-m", "{model}", "-o", "json"]
    shown = described("gemini", log_lines("gemini", "SIM: output_tokens=55", workdir, env,
                                          gemini_json))  # fmt: skip
    # One document over many lines: its answer shows, its other lines do not.
    assert shown == ["Working on the task (round 1).\nDone (round 1): nothing to change."]
    claude_json = ["claude", "-p", "{prompt}", "--output-format", "json", "--model", "{model}"]
    shown = described("claude", log_lines("claude", "SIM: cost=1.5", workdir, env, claude_json))
    assert len(shown) == 1 and shown[0].startswith("✔ done · 3 in /") and shown[0].endswith("$1.50")


def test_unknown_providers_keep_their_lines() -> None:
    assert describer("aider")('[out] {"type": "x"}') == '{"type": "x"}'


def test_helpers_format_tools_totals_and_failures() -> None:
    assert tool_line("Bash", {"command": "pytest -q\n  && ruff check"}) == "⚙ Bash: pytest -q"
    assert tool_line("Grep", {"pattern": "def main"}) == "⚙ Grep: def main"
    assert tool_line("TodoWrite", {"todos": []}) == "⚙ TodoWrite"
    assert short_path("/home/me/.convergio/worktrees/3/T2-01/src/app.py") == "src/app.py"
    assert short_path("/srv/projects/webapp/src/app/main.py") == "…/src/app/main.py"
    assert short_path("src/app.py") == "src/app.py"
    assert done_line(1234, 567, 0.0712) == "✔ done · 1,234 in / 567 out tokens · $0.07"
    assert done_line(10, 5, 0.0042) == "✔ done · 10 in / 5 out tokens · <$0.01"
    assert failure_line("429 Too Many Requests") == "✘ rate limited (429)"
    assert failure_line("", reason="timeout") == "✘ timeout"
    assert failure_line("x" * 500).endswith("…") and len(failure_line("x" * 500)) < 200


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)  # fmt: skip
KEYS = st.sampled_from(["type", "message", "content", "data", "part", "error", "usage", "stats",
                        "subtype", "role", "state", "tokens", "result", "is_error", "status"])  # fmt: skip
TYPES = st.sampled_from(["assistant", "user", "result", "system", "rate_limit_event", "message",
                         "tool_use", "tool_result", "init", "error", "text", "step_finish",
                         "assistant.message", "tool.execution_start", "tool.execution_complete",
                         "session.start", "session.error"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=6), TYPES)
def test_describe_line_never_raises_on_odd_json(event: dict[str, object], kind: str) -> None:
    line = "[out] " + json.dumps(event | {"type": kind})
    for provider in PROVIDERS:
        text = get_adapter(provider).describe_line(line)
        assert text is None or isinstance(text, str)
