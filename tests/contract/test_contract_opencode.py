"""The pinned real OpenCode against the stand-in's OpenAI chat completions (its Ollama
provider, ``@ai-sdk/openai-compatible``), run like the engine runs it (the worker's argv,
the provider's sandbox and environment, the shared runner): what the opencode worker
concludes from each case.

OpenCode is pointed at the stand-in by ``~/.config/opencode/opencode.json`` in the test's
HOME (a provider ``ollama`` whose ``baseURL`` is the stand-in, a fake ``apiKey``); the
shipped ``env`` turns off its self-update and model catalogue download. Its own retries
(about a minute on a 429 or 500) are kept short by the stand-in's ``retry-after: 0``. The
stand-in answers opencode's session-title request on its own (see
``convergio_tui.sim.standin.openai_api.is_auxiliary``). Each case also checks the real
output's shape against its recording in ``tests/contract/recordings/opencode/``; run with
``CONVERGIO_RECORD=1`` to accept new output. See docs/providers/opencode.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
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

CLI = "opencode"
MODEL = "ollama/qwen3-coder"
FAST_RETRY = (("retry-after", "0"),)


@pytest.fixture(autouse=True)
def short_convergio_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A CONVERGIO_HOME with a short path: a sensitive run's relay socket lives below it,
    and a Unix socket path has at most 107 bytes (pytest's own folders are too deep)."""
    home = Path(tempfile.mkdtemp(prefix="cv-oc-"))
    monkeypatch.setenv("CONVERGIO_HOME", str(home))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def real_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real CLIs first on PATH, a fresh HOME, none of our own OpenCode variables."""
    bin_dir = real_cli_bin()
    assert (bin_dir / CLI).exists(), f"no real {CLI} in {bin_dir}"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith(("OPENCODE_", "OLLAMA_")):
            monkeypatch.delenv(name)
    return bin_dir


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """The stand-in model server on 127.0.0.1."""
    with serve_standin(models=["qwen3-coder:latest"]) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A real git repository as the task's worktree."""
    return make_repo(tmp_path / "work")


def write_opencode_json(url: str, key: str = FAKE_KEY, models: tuple[str, ...] = ("qwen3-coder",)) -> Path:  # fmt: skip
    """The user's opencode.json: an OpenAI-compatible provider ``ollama`` at ``url``."""
    config = {
        "$schema": "https://opencode.ai/config.json",
        "provider": {"ollama": {
            "npm": "@ai-sdk/openai-compatible",
            "name": "Ollama (stand-in)",
            "options": {"baseURL": f"{url}/v1", "apiKey": key},
            "models": {m: {"name": m} for m in models},
        }},
    }  # fmt: skip
    path = Path(os.environ["HOME"]) / ".config" / "opencode" / "opencode.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=1))
    return path


def config_for(standin: StandIn, *, cli: list[str] | None = None, **env: str) -> Config:
    """The shipped configuration (its opencode ``env`` kept), with ``env`` added and the
    stand-in as its endpoint (the one host a sensitive task's sandbox can reach)."""
    shipped = contract_config().providers[CLI]
    changes: dict[str, Any] = {"env": {**shipped.env, **env}, "endpoint": standin.url}
    if cli is not None:
        changes["cli"] = cli
    return contract_config({CLI: changes})


def run(standin: StandIn, workdir: Path, prompt: str = "Say hello.", *,
        config: Config | None = None, model: str = MODEL, key: str = FAKE_KEY,
        privacy: str = "sensitive") -> Ran:  # fmt: skip
    """One real opencode run the way the engine starts it: by default as a sensitive task
    (no network but its endpoint, relayed into the sandbox), where it is used."""
    write_opencode_json(standin.url, key)
    return run_cli(config or config_for(standin), CLI, prompt, workdir, model=model,
                   timeout_s=90, privacy=privacy)  # fmt: skip


def user_text(body: dict[str, Any]) -> str:
    """The last user message of one chat request."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content") if users else ""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def check_recording(case: str, ran: Ran, standin: StandIn, workdir: Path) -> None:
    """Compare the real output's shape with the recording of ``case`` (or record it)."""
    requests = [{"method": r.method, "path": r.path, "status": r.status} for r in standin.sent()]
    replacements = {str(workdir.resolve()): "<worktree>", str(workdir): "<worktree>",
                    os.environ["HOME"]: "<home>", standin.url: "<stand-in>"}  # fmt: skip
    outcome = ran.outcome
    data = openai_shapes.recording(CLI, case, outcome.exit_code, outcome.stdout_lines,
                                   outcome.stderr_lines, requests, replacements)  # fmt: skip
    data["cli"] = f"{CLI} {PINS[CLI]['version']}"
    data["verdict"] = {"success": ran.result.success, "error_class": str(ran.result.error_class)}
    recordings.record_or_compare(openai_shapes.RECORDINGS / CLI, CLI, case, data,
                                 openai_shapes.differences)  # fmt: skip


# -- success ----------------------------------------------------------------------------


def test_a_text_answer_succeeds_with_the_tokens_and_cost_opencode_reported(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    standin.script.push("openai", Reply(text="Hello from the stand-in.", input_tokens=1234,
                                        output_tokens=56))  # fmt: skip
    ran = run(standin, workdir)
    result = ran.result
    assert result.success, result.error
    assert result.text == "Hello from the stand-in."
    assert (result.input_tokens, result.output_tokens) == (1234, 56)
    assert result.cost_usd == 0.0 and result.session_id  # no price in opencode.json: free
    assert len(model_requests(standin)) == 1  # the title request is not the task's
    check_recording("success", ran, standin, workdir)


def _write_then_answer(standin: StandIn) -> None:
    call = ToolCall("write", {"filePath": "notes.txt", "content": "hello from opencode\n"})
    standin.script.push("openai", Reply(text="Writing notes.txt.", tool_calls=(call,),
                                        input_tokens=100,
                                        output_tokens=20),
                        Reply(text="Wrote notes.txt.", input_tokens=200, output_tokens=10))  # fmt: skip


def _working_directory(standin: StandIn) -> str:
    system = model_requests(standin)[0]["messages"][0]["content"]
    found = re.findall(r"Working directory: (\S+)", system)
    assert found, "opencode no longer tells the model its working directory"
    return found[0]


def test_a_tool_call_writes_the_file_in_the_worktree(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    _write_then_answer(standin)
    ran = run(standin, workdir, "Write notes.txt saying hello.")
    assert ran.result.success, ran.result.error
    # A relative path: opencode resolves it against its own idea of the folder.
    assert (workdir / "notes.txt").read_text() == "hello from opencode\n"
    assert _working_directory(standin) == str(workdir)
    assert ran.result.text == "Wrote notes.txt."
    assert (ran.result.input_tokens, ran.result.output_tokens) == (300, 30)  # both steps
    check_recording("tool_write", ran, standin, workdir)


def test_without_dir_opencode_works_in_the_pwd_the_runner_gives_it(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """opencode works in ``$PWD``, not in its process's directory: with ``--dir`` taken
    out of the template, the runner's ``PWD`` alone keeps it in the task's worktree."""
    cli = [a for a in contract_config().providers[CLI].cli if a not in ("--dir", "{workdir}")]
    _write_then_answer(standin)
    config = config_for(standin, cli=cli)
    ran = run(standin, workdir, "Write notes.txt saying hello.", config=config)
    assert ran.result.success, ran.result.error
    assert (workdir / "notes.txt").read_text() == "hello from opencode\n"
    assert _working_directory(standin) == str(workdir)


# -- the prompt reaches the model as written ---------------------------------------------

PROMPTS = {
    "dash_prompt": "- fix the parser\n- then --help the tests\n-m is not a flag here",
    "non_ascii": "Résumé: café, naïve, 日本語, emoji 🚀, quotes \"double\" and 'single'.",
    "large_prompt": "".join(f"line {i:05d}: {'x' * 50}\n" for i in range(1000)),  # ~62 KB
}


@pytest.mark.parametrize("case", sorted(PROMPTS))
def test_the_prompt_reaches_the_model_intact(
    case: str, real_path: Path, standin: StandIn, workdir: Path
) -> None:
    standin.script.push("openai", Reply(text="Read it."))
    ran = run(standin, workdir, PROMPTS[case])
    assert ran.result.success, ran.result.error
    sent = model_requests(standin)
    assert sent and user_text(sent[0]) == PROMPTS[case]  # on stdin: not quoted, not cut
    check_recording(case, ran, standin, workdir)


# -- errors -----------------------------------------------------------------------------


def test_an_invalid_key_is_auth(real_path: Path, standin: StandIn, workdir: Path) -> None:
    ran = run(standin, workdir, key=INVALID_KEY_PREFIX + "-0000")
    assert not ran.result.success and ran.result.error_class is ErrorClass.auth
    assert "Incorrect API key" in ran.result.error
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
    assert f"stand-in error {status}" in ran.result.error
    check_recording(f"http_{status}", ran, standin, workdir)


def test_a_model_missing_from_opencode_json_says_which_and_what_to_do(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    ran = run(standin, workdir, model="ollama/llama3.3")
    assert not ran.result.success
    assert ran.result.error_class is ErrorClass.model_not_found, ran.result.error
    assert "model ollama/llama3.3 is not configured" in ran.result.error
    assert "opencode.json" in ran.result.error
    assert model_requests(standin) == []
    check_recording("model_missing", ran, standin, workdir)


def test_opencode_asks_no_host_but_the_model_and_the_npm_registry(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """Every other host goes through a proxy that records and refuses it. With the shipped
    variables opencode asks no update check, model catalogue or share; it still asks the
    npm registry for ``@opencode-ai/plugin``, which it installs into each config folder
    (~/.config/opencode) in the background, and goes on when that fails. A sensitive
    task's sandbox has no network for it; ``npm_config_offline=true`` in the provider's
    ``env`` stops it anywhere (and every npm the agent runs): docs/providers/opencode.md."""
    with refusing_proxy() as proxy:
        standin.script.push("openai", Reply(text="hello"), Reply(text="hello again"))
        ran = run(standin, workdir, config=config_for(standin, **proxy.env), privacy="internal")
        shipped = list(proxy.asked)
        proxy.asked.clear()
        offline = config_for(standin, npm_config_offline="true", **proxy.env)
        quiet = run(standin, workdir, config=offline, privacy="internal")
    assert ran.result.success and quiet.result.success, ran.result.error + quiet.result.error
    assert set(shipped) <= {"CONNECT registry.npmjs.org:443 HTTP/1.1"}, shipped
    assert proxy.asked == []


def test_opencode_not_installed_is_a_clear_failure(
    tmp_path: Path, standin: StandIn, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bwrap = shutil.which("bwrap")
    assert bwrap, "the sandbox needs bubblewrap"
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    path = os.pathsep.join([str(empty), str(Path(bwrap).parent)])
    assert shutil.which(CLI, path=path) is None
    monkeypatch.setenv("PATH", path)
    monkeypatch.setenv("HOME", str(tmp_path))
    ran = run(standin, workdir)
    assert not ran.result.success and ran.result.error_class is ErrorClass.failed
    assert "opencode is not installed" in ran.result.error
    assert "npm install -g opencode-ai" in ran.result.error
    assert model_requests(standin) == []


def test_the_recordings_name_the_pinned_version() -> None:
    """Recordings made by another version are stale: record them again."""
    found = sorted((openai_shapes.RECORDINGS / CLI).glob("*.json"))
    assert found, "no opencode recordings: run with CONVERGIO_RECORD=1"
    for path in found:
        data = openai_shapes.load(CLI, path.stem)
        assert data["cli"] == f"{CLI} {PINS[CLI]['version']}", path.name
