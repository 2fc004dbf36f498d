"""The pinned real GitHub Copilot CLI against the stand-in's OpenAI chat completions (its
BYOK provider), run like the engine runs it (the worker's argv, the provider's sandbox and
environment, the shared runner): what the copilot worker concludes from each case.

Copilot is pointed at the stand-in with ``COPILOT_PROVIDER_BASE_URL`` and a fake
``COPILOT_PROVIDER_API_KEY``; ``COPILOT_OFFLINE=true`` turns off GitHub authentication,
telemetry and update checks. Its own retries (5, with backoff) are kept short by the
stand-in's ``retry-after: 0`` on 429 and 500 (about 6 s a case); an unreachable provider
still takes its full backoff (about 25 s). Each case also checks the real output's shape
against its recording in ``tests/contract/recordings/copilot/``; run with
``CONVERGIO_RECORD=1`` to accept new output (after bumping the pin in ``clis.json``).
See docs/providers/copilot.md.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai_shapes
import pytest
import recordings
from engine_fixtures import make_repo
from harness import (
    FAKE_KEY,
    PINS,
    Ran,
    contract_config,
    real_cli_bin,
    refusing_proxy,
    run_cli,
)

from convergio_tui.config.schema import Config
from convergio_tui.providers import ErrorClass
from convergio_tui.sim.standin import Reply, StandIn, ToolCall, serve_standin
from convergio_tui.sim.standin.openai_api import INVALID_KEY_PREFIX, model_requests

CLI = "copilot"
MODEL = "gpt-5"
FAST_RETRY = (("retry-after", "0"),)


@pytest.fixture
def real_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real CLIs first on PATH, a fresh HOME, none of our own Copilot or GitHub tokens."""
    bin_dir = real_cli_bin()
    assert (bin_dir / CLI).exists(), f"no real {CLI} in {bin_dir}"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith("COPILOT_") or name in ("GH_TOKEN", "GITHUB_TOKEN", "GH_HOST"):
            monkeypatch.delenv(name)
    return bin_dir


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """The stand-in model server on 127.0.0.1."""
    with serve_standin(models=[MODEL]) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A real git repository as the task's worktree."""
    return make_repo(tmp_path / "work")


def byok_env(url: str, key: str = FAKE_KEY, **extra: str) -> dict[str, str]:
    """Copilot on a custom provider at ``url``, with nothing else on the network."""
    return {"COPILOT_PROVIDER_BASE_URL": f"{url}/v1", "COPILOT_PROVIDER_API_KEY": key,
            "COPILOT_OFFLINE": "true", **extra}  # fmt: skip


def config_for(env: dict[str, str]) -> Config:
    """The shipped configuration with copilot's ``env`` set."""
    return contract_config({CLI: {"env": env}})


def run(standin: StandIn, workdir: Path, prompt: str = "Say hello.", *,
        env: dict[str, str] | None = None) -> Ran:  # fmt: skip
    """One real copilot run the way the engine starts it."""
    config = config_for(env if env is not None else byok_env(standin.url))
    return run_cli(config, CLI, prompt, workdir, model=MODEL, timeout_s=90)


def user_text(body: dict[str, Any]) -> str:
    """The last user message of one chat request."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content") if users else ""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def check_recording(case: str, ran: Ran, standin: StandIn | None, workdir: Path) -> None:
    """Compare the real output's shape with the recording of ``case`` (or record it)."""
    sent = standin.sent() if standin is not None else []
    requests = [{"method": r.method, "path": r.path, "status": r.status} for r in sent]
    replacements = {str(workdir.resolve()): "<worktree>", str(workdir): "<worktree>",
                    os.environ["HOME"]: "<home>"}  # fmt: skip
    if standin is not None:
        replacements[standin.url] = "<stand-in>"
    outcome = ran.outcome
    data = openai_shapes.recording(CLI, case, outcome.exit_code, outcome.stdout_lines,
                                   outcome.stderr_lines, requests, replacements)  # fmt: skip
    data["cli"] = f"{CLI} {PINS[CLI]['version']}"
    data["verdict"] = {"success": ran.result.success, "error_class": str(ran.result.error_class)}
    recordings.record_or_compare(openai_shapes.RECORDINGS / CLI, CLI, case, data,
                                 openai_shapes.differences)  # fmt: skip


# -- success ----------------------------------------------------------------------------


def test_a_text_answer_succeeds_with_the_tokens_copilot_recorded(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    standin.script.push("openai", Reply(text="Hello from the stand-in.", input_tokens=1234,
                                        output_tokens=56))  # fmt: skip
    ran = run(standin, workdir)
    result = ran.result
    assert result.success, result.error
    assert result.text == "Hello from the stand-in."
    # Its JSON output has no tokens: they come from its session log, exactly as sent.
    assert (result.input_tokens, result.output_tokens) == (1234, 56)
    # A custom provider is not billed in AI credits: unknown, not zero; no USD either.
    assert result.credits is None and result.cost_usd is None
    assert result.premium_requests == 0.0 and result.session_id
    check_recording("success", ran, standin, workdir)


def test_a_tool_call_writes_the_file_in_the_worktree(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    target = workdir / "hello.txt"  # its create tool makes no parent folders
    call = ToolCall("create", {"path": str(target), "file_text": "hello from copilot\n"})
    standin.script.push("openai", Reply(text="Creating hello.txt.", tool_calls=(call,),
                                        input_tokens=100,
                                        output_tokens=20),
                        Reply(text="Created hello.txt.", input_tokens=200,
                              output_tokens=10))  # fmt: skip
    ran = run(standin, workdir, "Create hello.txt saying hello.")
    assert ran.result.success, ran.result.error
    assert target.read_text() == "hello from copilot\n"
    assert ran.result.text == "Created hello.txt."
    assert (ran.result.input_tokens, ran.result.output_tokens) == (300, 30)  # both calls
    tool_results = [m for m in model_requests(standin)[-1]["messages"] if m["role"] == "tool"]
    assert tool_results and tool_results[0]["tool_call_id"] == "call_1"
    check_recording("tool_write", ran, standin, workdir)


# -- the prompt reaches the model as written ---------------------------------------------

PROMPTS = {
    "dash_prompt": "- fix the parser\n- then --help the tests\n-p is not a flag here",
    "non_ascii": "Résumé: café, naïve, 日本語, emoji 🚀, quotes \"double\" and 'single'.",
    "large_prompt": "".join(f"line {i:05d}: {'x' * 50}\n" for i in range(1000)),  # ~62 KB
}


@pytest.mark.parametrize("case", sorted(PROMPTS))
def test_the_prompt_reaches_the_model_intact(
    case: str, real_path: Path, standin: StandIn, workdir: Path
) -> None:
    prompt = PROMPTS[case]
    standin.script.push("openai", Reply(text="Read it."))
    ran = run(standin, workdir, prompt)
    assert ran.result.success, ran.result.error
    sent = model_requests(standin)
    # copilot puts the current time before the prompt and trims trailing whitespace;
    # the prompt itself is untouched.
    assert sent and user_text(sent[0]).endswith("\n\n" + prompt.rstrip())
    check_recording(case, ran, standin, workdir)


# -- errors -----------------------------------------------------------------------------


def test_an_invalid_key_is_auth(real_path: Path, standin: StandIn, workdir: Path) -> None:
    ran = run(standin, workdir, env=byok_env(standin.url, key=INVALID_KEY_PREFIX + "-0000"))
    assert not ran.result.success and ran.result.error_class is ErrorClass.auth
    assert "COPILOT_PROVIDER_API_KEY" in ran.result.error  # copilot says what to check
    check_recording("invalid_key", ran, standin, workdir)


HTTP_CASES = {
    401: ErrorClass.auth,
    403: ErrorClass.auth,
    404: ErrorClass.model_not_found,
    429: ErrorClass.rate_limit,
    500: ErrorClass.failed,  # retryable: neither auth nor a configuration error
}


@pytest.mark.parametrize("status", sorted(HTTP_CASES))
def test_http_errors_get_their_error_class(
    status: int, real_path: Path, standin: StandIn, workdir: Path
) -> None:
    standin.script.push("openai", Reply(status=status, error=f"stand-in error {status}",
                                        headers=FAST_RETRY, sticky=True))  # fmt: skip
    ran = run(standin, workdir)
    assert not ran.result.success
    assert ran.result.error_class is HTTP_CASES[status], ran.result.error
    assert str(status) in ran.result.error
    check_recording(f"http_{status}", ran, standin, workdir)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_provider_that_is_down_is_a_retryable_failure_not_auth(
    real_path: Path, workdir: Path
) -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens: connection refused
    ran = run_cli(config_for(byok_env(url)), CLI, "Say hello.", workdir, model=MODEL,
                  timeout_s=90)  # fmt: skip
    assert not ran.result.success and ran.result.error_class is ErrorClass.failed
    assert "Could not connect" in ran.result.error
    check_recording("provider_down", ran, None, workdir)


def test_without_any_credentials_it_is_auth(real_path: Path, workdir: Path) -> None:
    """No custom provider and no GitHub login: copilot says so on stderr before any
    request (a refusing proxy stands for every host but 127.0.0.1)."""
    dead = f"http://127.0.0.1:{_free_port()}"
    env = {"HTTPS_PROXY": dead, "HTTP_PROXY": dead, "NO_PROXY": ""}
    ran = run_cli(config_for(env), CLI, "Say hello.", workdir, model=MODEL, timeout_s=90)
    assert not ran.result.success and ran.result.error_class is ErrorClass.auth
    assert "No authentication information found" in ran.result.error
    check_recording("no_credentials", ran, None, workdir)


def test_copilot_sends_nothing_but_model_requests(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """Every other host goes through a proxy that records and refuses it: none is asked."""
    with refusing_proxy() as proxy:
        standin.script.push("openai", Reply(text="hello"))
        ran = run(standin, workdir, env=byok_env(standin.url, **proxy.env))
    assert ran.result.success, ran.result.error
    assert proxy.asked == []


def test_copilot_not_installed_is_a_clear_failure(
    tmp_path: Path, standin: StandIn, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bwrap = shutil.which("bwrap")
    assert bwrap, "the sandbox needs bubblewrap"
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    path = os.pathsep.join([str(empty), str(Path(bwrap).parent)])
    assert shutil.which(CLI, path=path) is None
    monkeypatch.setenv("PATH", path)
    ran = run(standin, workdir)
    assert not ran.result.success and ran.result.error_class is ErrorClass.failed
    assert "copilot is not installed" in ran.result.error
    assert "npm install -g @github/copilot" in ran.result.error
    assert model_requests(standin) == []


def test_the_recordings_name_the_pinned_version() -> None:
    """Recordings made by another version are stale: record them again."""
    found = sorted((openai_shapes.RECORDINGS / CLI).glob("*.json"))
    assert found, "no copilot recordings: run with CONVERGIO_RECORD=1"
    for path in found:
        data = openai_shapes.load(CLI, path.stem)
        assert data["cli"] == f"{CLI} {PINS[CLI]['version']}", path.name
