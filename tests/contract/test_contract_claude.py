"""The pinned real Claude Code against the stand-in Anthropic API, run like the engine runs
it (the worker's argv, the provider's sandbox and environment, the shared runner): what
the claude worker concludes from each case.

Each case also checks the real output's shape against its recording in
``tests/contract/recordings/claude/`` and fails with what changed; run with
``CONVERGIO_RECORD=1`` to accept the new output (after bumping the pin in ``clis.json``).
The CLI's own retries are kept short with ``CLAUDE_CODE_MAX_RETRIES`` (0 here, except in
the test of the shipped value) and it sends nothing but model requests
(``CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC``): see docs/providers/claude.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import claude_shapes
import pytest
import recordings
from engine_fixtures import make_repo
from harness import (
    FAKE_KEY,
    PINS,
    PROMPT_CASES,
    Ran,
    contract_config,
    real_cli_bin,
    refusing_proxy,
    run_cli,
)

from convergio_tui.config.schema import Config
from convergio_tui.providers import ErrorClass
from convergio_tui.sim.standin import Reply, StandIn, ToolCall, serve_standin
from convergio_tui.sim.standin.anthropic_api import INVALID_KEY_PREFIX

MODEL = "claude-sonnet-4-5"
# List prices of claude-sonnet-4-5 in USD per token, as the CLI computes total_cost_usd.
IN_USD, OUT_USD = 3e-6, 15e-6


@pytest.fixture
def real_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real CLIs first on PATH, a fresh HOME, none of our own Anthropic variables."""
    bin_dir = real_cli_bin()
    assert (bin_dir / "claude").exists(), f"no real claude in {bin_dir}"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith(("ANTHROPIC_", "CLAUDE_")) or name == "IS_SANDBOX":
            monkeypatch.delenv(name)
    return bin_dir


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """The stand-in model server on 127.0.0.1."""
    with serve_standin() as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A real git repository as the task's worktree."""
    return make_repo(tmp_path / "work")


def env_for(standin: StandIn, **extra: str) -> dict[str, str]:
    """The provider ``env`` of these tests: the stand-in, a fake key, no retries and no
    traffic but model requests (no telemetry, update checks or error reports)."""
    return {
        "ANTHROPIC_BASE_URL": standin.url,
        "ANTHROPIC_API_KEY": FAKE_KEY,
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        **extra,
    }


def config_for(standin: StandIn, *, cli_extra: tuple[str, ...] = (), **env: str) -> Config:
    """The shipped configuration with claude pointed at the stand-in."""
    cli = list(contract_config().providers["claude"].cli) + list(cli_extra)
    return contract_config({"claude": {"env": env_for(standin, **env), "cli": cli}})


def model_requests(standin: StandIn) -> list[Any]:
    """The bodies of the model requests the CLI sent (not count_tokens, not models)."""
    return [r.body for r in standin.sent("anthropic") if r.path == "/v1/messages"]


def user_texts(body: dict[str, Any]) -> list[str]:
    """Every text block of the user turns of one request."""
    texts: list[str] = []
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        texts += [b.get("text", "") for b in blocks if b.get("type") == "text"]
    return texts


def result_event(ran: Ran) -> dict[str, Any]:
    """The CLI's final ``result`` event."""
    found = [e for e in claude_shapes.events(ran.outcome.stdout_lines) if e.get("type") == "result"]
    assert found, f"no result event: {ran.log[-2000:]}"
    return found[-1]


def check_recording(case: str, ran: Ran, standin: StandIn, workdir: Path) -> None:
    """Compare the real output's shape with the recording of ``case`` (or record it)."""
    requests = [{"method": r.method, "path": r.path, "status": r.status,
                 "stream": r.body.get("stream") if isinstance(r.body, dict) else None}
                for r in standin.sent()]  # fmt: skip
    home = os.environ["HOME"]
    slug = re.sub(r"[^A-Za-z0-9]", "-", str(workdir.resolve()))  # claude's project folder
    replacements = {str(workdir.resolve()): "<worktree>", str(workdir): "<worktree>",
                    home: "<home>", standin.url: "<stand-in>", slug: "<worktree-slug>"}  # fmt: skip
    outcome = ran.outcome
    data = claude_shapes.recording(case, outcome.exit_code, outcome.stdout_lines,
                                   outcome.stderr_lines, requests, replacements)  # fmt: skip
    data["cli"] = f"claude {PINS['claude']['version']}"
    recordings.record_or_compare(claude_shapes.RECORDINGS, "claude", case, data,
                                 claude_shapes.differences)  # fmt: skip


def run(standin: StandIn, workdir: Path, prompt: str = "Say hello.", *,
        config: Config | None = None) -> Ran:  # fmt: skip
    """One real claude run the way the engine starts it."""
    return run_cli(config or config_for(standin), "claude", prompt, workdir, model=MODEL,
                   timeout_s=90)  # fmt: skip


# -- success ----------------------------------------------------------------------------


def test_a_text_answer_succeeds_with_the_tokens_and_cost_claude_reported(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    standin.script.push("anthropic", Reply(text="Hello from the stand-in.", input_tokens=1234,
                                           output_tokens=56))  # fmt: skip
    ran = run(standin, workdir)
    result, event = ran.result, result_event(ran)
    assert result.success, result.error
    assert result.text == "Hello from the stand-in."
    assert (result.input_tokens, result.output_tokens) == (1234, 56)
    assert result.cost_usd == event["total_cost_usd"] == pytest.approx(1234 * IN_USD + 56 * OUT_USD)
    assert result.session_id == event["session_id"]
    check_recording("success", ran, standin, workdir)


def test_a_tool_call_writes_the_file_in_the_worktree(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    target = workdir / "src" / "hello.py"
    write = ToolCall("Write", {"file_path": str(target), "content": "print('hi')\n"}, id="w1")
    standin.script.push("anthropic", Reply(text="", tool_calls=(write,), input_tokens=200,
                                           output_tokens=40),
                        Reply(text="Wrote src/hello.py.", input_tokens=300, output_tokens=10))  # fmt: skip
    ran = run(standin, workdir, "Write src/hello.py printing hi.")
    assert ran.result.success, ran.result.error
    assert target.read_text() == "print('hi')\n"
    assert ran.result.text == "Wrote src/hello.py."
    # Both turns are counted: the tool call's and the answer's.
    assert (ran.result.input_tokens, ran.result.output_tokens) == (500, 50)
    assert ran.result.cost_usd == pytest.approx(500 * IN_USD + 50 * OUT_USD)
    second = model_requests(standin)[1]
    results = [b for m in second["messages"] if isinstance(m.get("content"), list)
               for b in m["content"] if b.get("type") == "tool_result"]  # fmt: skip
    assert results and results[0]["tool_use_id"] == "toolu_w1"
    check_recording("tool_write", ran, standin, workdir)


@pytest.mark.parametrize(
    ("case", "prompt"),
    PROMPT_CASES,
)
def test_the_prompt_reaches_the_model_intact(
    real_path: Path, standin: StandIn, workdir: Path, case: str, prompt: str
) -> None:
    standin.script.push("anthropic", Reply(text="ok"))
    ran = run(standin, workdir, prompt)
    assert ran.result.success, ran.result.error
    sent = user_texts(model_requests(standin)[0])
    assert prompt in sent, f"the prompt was changed on its way: {[t[:80] for t in sent]}"
    if case == "large_prompt":
        assert len(prompt.encode()) > 60_000
    check_recording(case, ran, standin, workdir)


# -- errors -----------------------------------------------------------------------------


def test_an_invalid_key_is_auth(real_path: Path, standin: StandIn, workdir: Path) -> None:
    config = config_for(standin, ANTHROPIC_API_KEY=f"{INVALID_KEY_PREFIX}-0000")
    ran = run(standin, workdir, config=config)
    assert not ran.result.success
    assert ran.result.error_class is ErrorClass.auth
    assert "Invalid API key" in ran.result.error
    check_recording("invalid_key", ran, standin, workdir)


def test_no_key_at_all_is_auth_without_a_request(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    ran = run(standin, workdir, config=config_for(standin, ANTHROPIC_API_KEY=""))
    assert ran.result.error_class is ErrorClass.auth
    assert "Not logged in" in ran.result.error
    assert model_requests(standin) == []
    check_recording("no_key", ran, standin, workdir)


@pytest.mark.parametrize(
    ("case", "status", "kind", "message", "expected"),
    [
        ("http_401", 401, "authentication_error", "invalid x-api-key", ErrorClass.auth),
        ("http_403", 403, "permission_error", "Your API key does not have permission",
         ErrorClass.auth),
        ("http_404", 404, "not_found_error", f"model: {MODEL}", ErrorClass.model_not_found),
        ("http_429", 429, "rate_limit_error", "Number of request tokens has exceeded your "
         "per-minute rate limit", ErrorClass.rate_limit),
        ("http_529", 529, "overloaded_error", "Overloaded", ErrorClass.rate_limit),
        ("http_500", 500, "api_error", "Internal server error", ErrorClass.failed),
    ],
)  # fmt: skip
def test_http_errors_get_their_error_class(
    real_path: Path, standin: StandIn, workdir: Path, case: str, status: int, kind: str,
    message: str, expected: ErrorClass,
) -> None:  # fmt: skip
    standin.script.push("anthropic", Reply(status=status, error_type=kind, error=message,
                                           headers=(("retry-after", "7"),), sticky=True))  # fmt: skip
    ran = run(standin, workdir)
    assert not ran.result.success
    assert ran.result.error_class is expected, ran.result.error
    assert str(status) in ran.result.error
    assert (ran.result.input_tokens, ran.result.output_tokens, ran.result.cost_usd) == (0, 0, 0)
    check_recording(case, ran, standin, workdir)


def test_the_shipped_retry_count_is_what_claude_does(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    shipped = contract_config().providers["claude"].env
    retries = int(shipped["CLAUDE_CODE_MAX_RETRIES"])
    assert 0 < retries <= 3, "a failing API must be seen in seconds, not minutes"
    standin.script.push("anthropic", Reply(status=500, error_type="api_error",
                                           error="Internal server error", sticky=True))  # fmt: skip
    config = config_for(standin, **{**shipped, "CLAUDE_CODE_MAX_RETRIES": str(retries)})
    ran = run(standin, workdir, config=config)
    assert ran.result.error_class is ErrorClass.failed
    assert len(model_requests(standin)) == 1 + retries
    check_recording("retries_shipped", ran, standin, workdir)


def test_the_spending_limit_stops_claude_with_its_real_tokens_and_cost(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    write = ToolCall("Write", {"file_path": str(workdir / "late.txt"), "content": "x"}, id="b1")
    standin.script.push("anthropic", Reply(text="", tool_calls=(write,), input_tokens=2000,
                                           output_tokens=400),
                        Reply(text="never reached"))  # fmt: skip
    ran = run(standin, workdir, config=config_for(standin, cli_extra=("--max-budget-usd", "0.005")))
    event = result_event(ran)
    assert event["subtype"] == "error_max_budget_usd" and ran.outcome.exit_code == 1
    cost = 2000 * IN_USD + 400 * OUT_USD
    result = ran.result
    assert not result.success
    assert result.error_class is ErrorClass.spending_limit
    assert (result.input_tokens, result.output_tokens) == (2000, 400)
    assert result.cost_usd == event["total_cost_usd"] == pytest.approx(cost)
    assert "$0.005" in result.error
    assert not (workdir / "late.txt").exists(), "claude stops before the next tool runs"
    check_recording("budget", ran, standin, workdir)


def test_max_turns_keeps_its_reason(real_path: Path, standin: StandIn, workdir: Path) -> None:
    write = ToolCall("Write", {"file_path": str(workdir / "a.txt"), "content": "a"}, id="t1")
    standin.script.push("anthropic", Reply(text="", tool_calls=(write,)), Reply(text="done"))
    config = config_for(standin, cli_extra=("--max-turns", "1"))
    ran = run(standin, workdir, config=config)
    assert not ran.result.success and ran.result.error_class is ErrorClass.failed
    assert "Reached maximum number of turns (1)" in ran.result.error
    assert (ran.result.input_tokens, ran.result.output_tokens) == (120, 30)
    check_recording("max_turns", ran, standin, workdir)


def test_a_startup_failure_says_why(real_path: Path, standin: StandIn, workdir: Path) -> None:
    config = config_for(standin, cli_extra=("--resume", "00000000-0000-4000-8000-000000000000"))
    ran = run(standin, workdir, config=config)
    assert ran.result.error_class is ErrorClass.failed
    assert "No conversation found" in ran.result.error
    check_recording("startup_failure", ran, standin, workdir)


def test_without_a_sandbox_root_gets_a_clear_refusal(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """``sandbox: {mode: off}``: no IS_SANDBOX, so claude refuses to skip permissions as
    root; Convergio does not claim a sandbox it does not have (docs/providers/claude.md)."""
    base = config_for(standin)
    config = base.model_copy(update={"sandbox": base.sandbox.model_copy(update={"mode": "off"})})
    standin.script.push("anthropic", Reply(text="unsandboxed hello"))
    ran = run(standin, workdir, config=config)
    if os.geteuid() != 0:
        assert ran.result.success, ran.result.error
        return
    assert ran.result.error_class is ErrorClass.auth
    assert "root" in ran.result.error and "sandbox" in ran.result.error
    assert model_requests(standin) == []
    check_recording("root_unsandboxed", ran, standin, workdir)


def test_claude_not_installed_is_a_clear_failure(
    tmp_path: Path, standin: StandIn, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bwrap = shutil.which("bwrap")
    assert bwrap, "the sandbox needs bubblewrap"
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    path = os.pathsep.join([str(empty), str(Path(bwrap).parent)])
    assert shutil.which("claude", path=path) is None
    monkeypatch.setenv("PATH", path)
    ran = run(standin, workdir)
    assert not ran.result.success and ran.result.error_class is ErrorClass.failed
    assert "claude" in ran.result.error and "not installed" in ran.result.error
    assert model_requests(standin) == []


def test_claude_sends_nothing_but_model_requests(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """Every other host goes through a proxy that records and refuses it: none is asked
    (no telemetry, error reports or update checks with the variables we set)."""
    with refusing_proxy() as proxy:
        standin.script.push("anthropic", Reply(text="hello"))
        ran = run(standin, workdir, config=config_for(standin, **proxy.env))
    assert ran.result.success, ran.result.error
    assert proxy.asked == []


def test_the_recordings_name_the_pinned_version() -> None:
    """Recordings made by another version are stale: record them again."""
    want = f"claude {PINS['claude']['version']}"
    for path in sorted(claude_shapes.RECORDINGS.glob("*.json")):
        assert json.loads(path.read_text())["cli"] == want, f"{path.name} is from another version"
