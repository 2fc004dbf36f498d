"""The pinned real Gemini CLI against the stand-in Gemini API, run like the engine runs it
(the worker's argv, the provider's sandbox and environment, the shared runner): what the
gemini worker concludes from each case.

gemini reaches the stand-in through ``GOOGLE_GEMINI_BASE_URL`` with a fake
``GEMINI_API_KEY``; the fresh HOME's ``~/.gemini/settings.json`` selects API-key auth
(with a base URL alone, 0.61 picks its "gateway" auth and refuses to run headless), turns
usage statistics off and keeps the CLI's own retries to one attempt
(``general.maxAttempts``: no environment variable sets it): see docs/providers/gemini.md.

Each case also checks the real output's shape against its recording in
``tests/contract/recordings/gemini/`` and fails with what changed; run with
``CONVERGIO_RECORD=1`` to accept the new output (after bumping the pin in ``clis.json``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gemini_shapes
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
from convergio_tui.providers import ErrorClass, get_adapter, run_process
from convergio_tui.sim.standin import Reply, StandIn, ToolCall, serve_standin

MODEL = "gemini-2.5-pro"
SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "privacy": {"usageStatisticsEnabled": False},
    "general": {"maxAttempts": 1, "enableAutoUpdate": False,
                "enableAutoUpdateNotification": False},
}  # fmt: skip
JSON_TEMPLATE = ["gemini", "-m", "{model}", "-o", "json", "--approval-mode=yolo",
                 "--skip-trust", "--prompt={prompt}"]  # fmt: skip
BAD_KEY = "API key not valid. Please pass a valid API key."
NOT_FOUND = (f"models/{MODEL} is not found for API version v1beta, or is not supported for "
             "generateContent. Call ListModels to see the list of available models and their "
             "supported methods.")  # fmt: skip


def write_settings(home: Path, **general: object) -> None:
    """The test HOME's gemini settings (``general`` merged over the defaults here)."""
    settings = json.loads(json.dumps(SETTINGS))
    settings["general"].update(general)
    (home / ".gemini").mkdir(parents=True, exist_ok=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(settings))


@pytest.fixture
def real_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real CLIs first on PATH, a fresh HOME with the settings above, none of our own
    Gemini or Google variables."""
    bin_dir = real_cli_bin()
    assert (bin_dir / "gemini").exists(), f"no real gemini in {bin_dir}"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    home = tmp_path / "home"
    write_settings(home)
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith(("GEMINI_", "GOOGLE_")):
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


def config_for(standin: StandIn, *, cli: list[str] | None = None, **env: str) -> Config:
    """The shipped configuration with gemini pointed at the stand-in."""
    shipped = contract_config().providers["gemini"]
    changes: dict[str, Any] = {
        "env": {**shipped.env, "GOOGLE_GEMINI_BASE_URL": standin.url,
                "GEMINI_API_KEY": FAKE_KEY, **env},
    }  # fmt: skip
    if cli is not None:
        changes["cli"] = cli
    return contract_config({"gemini": changes})


def run(standin: StandIn, workdir: Path, prompt: str = "Say hello.", *,
        config: Config | None = None) -> Ran:  # fmt: skip
    """One real gemini run the way the engine starts it."""
    return run_cli(config or config_for(standin), "gemini", prompt, workdir, model=MODEL,
                   timeout_s=90)  # fmt: skip


def model_requests(standin: StandIn) -> list[Any]:
    """The bodies of the model requests the CLI sent."""
    return [r.body for r in standin.sent("gemini") if r.path.endswith("GenerateContent")]


def user_texts(body: dict[str, Any]) -> list[str]:
    """Every text part of the user turns of one request."""
    return [part.get("text", "") for content in body.get("contents", [])
            if content.get("role") == "user" for part in content.get("parts", [])]  # fmt: skip


def result_event(ran: Ran) -> dict[str, Any]:
    """The CLI's final ``result`` event."""
    docs = gemini_shapes.documents(ran.outcome.stdout_lines)
    found = [d for d in docs if d.get("type") == "result"]
    assert found, f"no result event: {ran.log[-2000:]}"
    return found[-1]


def check_recording(case: str, ran: Ran, standin: StandIn, workdir: Path) -> None:
    """Compare the real output's shape with the recording of ``case`` (or record it)."""
    requests = [{"method": r.method, "path": r.path, "status": r.status} for r in standin.sent()]
    home = os.environ["HOME"]
    replacements = {str(workdir.resolve()): "<worktree>", str(workdir): "<worktree>",
                    home: "<home>", standin.url: "<stand-in>",
                    str(real_cli_bin().resolve().parent): "<node_modules>"}  # fmt: skip
    outcome = ran.outcome
    data = gemini_shapes.recording(case, outcome.exit_code, outcome.stdout_lines,
                                   outcome.stderr_lines, requests, replacements)  # fmt: skip
    data["cli"] = f"gemini {PINS['gemini']['version']}"
    recordings.record_or_compare(gemini_shapes.RECORDINGS, "gemini", case, data,
                                 gemini_shapes.differences)  # fmt: skip


# -- success ----------------------------------------------------------------------------


def test_a_text_answer_succeeds_with_the_tokens_gemini_reported(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    standin.script.push("gemini", Reply(text="Hello from the stand-in.", input_tokens=1234,
                                        output_tokens=56))  # fmt: skip
    ran = run(standin, workdir)
    result, event = ran.result, result_event(ran)
    assert result.success, result.error
    assert result.text == "Hello from the stand-in."
    assert (result.input_tokens, result.output_tokens) == (1234, 56)
    assert event["stats"]["models"][MODEL]["input_tokens"] == 1234
    assert result.cost_usd is None  # gemini reports no cost: the engine prices the tokens
    assert result.session_id == gemini_shapes.documents(ran.outcome.stdout_lines)[0]["session_id"]
    check_recording("success", ran, standin, workdir)


def test_a_tool_call_writes_the_file_and_both_turns_are_kept_apart(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    target = workdir / "src" / "hello.py"
    write = ToolCall("write_file", {"file_path": str(target), "content": "print('hi')\n"})
    standin.script.push("gemini", Reply(text="I will write it.", tool_calls=(write,),
                                        input_tokens=200, output_tokens=40),
                        Reply(text="Wrote src/hello.py.", input_tokens=300, output_tokens=10))  # fmt: skip
    ran = run(standin, workdir, "Write src/hello.py printing hi.")
    assert ran.result.success, ran.result.error
    assert target.read_text() == "print('hi')\n"
    # The CLI prints both turns' deltas back to back: the worker keeps them apart.
    assert ran.result.text == "I will write it.\n\nWrote src/hello.py."
    assert (ran.result.input_tokens, ran.result.output_tokens) == (500, 50)
    second = model_requests(standin)[1]
    answers = [part["functionResponse"] for content in second["contents"]
               for part in content["parts"] if "functionResponse" in part]  # fmt: skip
    assert answers and answers[0]["name"] == "write_file"
    check_recording("tool_write", ran, standin, workdir)


@pytest.mark.parametrize(
    ("case", "prompt"),
    PROMPT_CASES,
)
def test_the_prompt_reaches_the_model_intact(
    real_path: Path, standin: StandIn, workdir: Path, case: str, prompt: str
) -> None:
    standin.script.push("gemini", Reply(text="ok"))
    ran = run(standin, workdir, prompt)
    assert ran.result.success, ran.result.error
    sent = user_texts(model_requests(standin)[0])
    assert prompt in sent, f"the prompt was changed on its way: {[t[:80] for t in sent]}"
    if case == "large_prompt":
        assert len(prompt.encode()) > 60_000
    check_recording(case, ran, standin, workdir)


def test_the_json_output_is_read_although_pretty_printed(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    standin.script.push("gemini", Reply(text="Answer in one document.", input_tokens=700,
                                        output_tokens=70))  # fmt: skip
    ran = run(standin, workdir, config=config_for(standin, cli=JSON_TEMPLATE))
    assert len(ran.outcome.stdout_lines) > 10  # one document over many lines
    assert ran.result.success, ran.result.error
    assert ran.result.text == "Answer in one document."
    assert (ran.result.input_tokens, ran.result.output_tokens) == (700, 70)
    check_recording("json_success", ran, standin, workdir)


def test_a_template_without_skip_trust_still_runs_in_a_new_worktree(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """Every worktree is a folder gemini never saw: the worker trusts it by environment."""
    old = [a for a in contract_config().providers["gemini"].cli if a != "--skip-trust"]
    standin.script.push("gemini", Reply(text="trusted"))
    ran = run(standin, workdir, config=config_for(standin, cli=old))
    assert ran.result.success, ran.result.error
    assert ran.outcome.exit_code != 55


def test_the_old_template_never_sent_a_prompt_starting_with_a_dash(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """``-p "- item"``: yargs reads the prompt as flags; nothing reaches the model."""
    old = ["gemini", "-p", "{prompt}", "-m", "{model}", "-o", "stream-json",
           "--approval-mode=yolo", "--skip-trust"]  # fmt: skip
    ran = run(standin, workdir, "- fix the README\n- then add a test",
              config=config_for(standin, cli=old))  # fmt: skip
    assert ran.outcome.exit_code == 1
    assert not ran.result.success and ran.result.error_class is ErrorClass.failed
    assert "Not enough arguments following: p" in ran.result.error
    assert model_requests(standin) == []
    check_recording("dash_after_p", ran, standin, workdir)


def test_an_untrusted_folder_is_refused_without_the_trust_setting(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """What every task hit before: gemini run in a new folder, neither ``--skip-trust``
    nor ``GEMINI_CLI_TRUST_WORKSPACE`` (run directly: the worker always sets the latter)."""
    argv = ["gemini", "-m", MODEL, "-o", "stream-json", "--approval-mode=yolo", "--prompt=hi"]
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], "GEMINI_API_KEY": FAKE_KEY,
           "GOOGLE_GEMINI_BASE_URL": standin.url}  # fmt: skip
    outcome = run_process(argv, cwd=workdir, env=env, timeout_s=90, log_path=None)
    result = get_adapter("gemini").parse(outcome)
    assert outcome.exit_code == 55
    assert result.error_class is ErrorClass.failed
    assert "not running in a trusted directory" in result.error
    assert model_requests(standin) == []
    check_recording("untrusted", Ran(outcome, result, ""), standin, workdir)


# -- errors -----------------------------------------------------------------------------


def test_an_invalid_key_is_auth(real_path: Path, standin: StandIn, workdir: Path) -> None:
    standin.script.push("gemini", Reply(status=400, error=BAD_KEY, error_type="API_KEY_INVALID",
                                        sticky=True))  # fmt: skip
    ran = run(standin, workdir)
    assert ran.outcome.exit_code == 144  # 400 & 0xFF
    assert not ran.result.success
    assert ran.result.error_class is ErrorClass.auth, ran.result.error
    assert "API key not valid" in ran.result.error
    check_recording("invalid_key", ran, standin, workdir)


def test_no_key_at_all_is_auth_without_a_request(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    ran = run(standin, workdir, config=config_for(standin, GEMINI_API_KEY=""))
    assert ran.outcome.exit_code == 41
    assert ran.result.error_class is ErrorClass.auth, ran.result.error
    assert "GEMINI_API_KEY" in ran.result.error
    assert model_requests(standin) == []
    check_recording("no_key", ran, standin, workdir)


@pytest.mark.parametrize(
    ("case", "status", "message", "exit_code", "expected"),
    [
        ("http_401", 401, "Request had invalid authentication credentials.", 145,
         ErrorClass.auth),
        ("http_403", 403, "Permission denied on resource project convergio.", 147,
         ErrorClass.auth),
        ("http_404", 404, NOT_FOUND, 1, ErrorClass.model_not_found),
        ("http_429", 429, "Resource has been exhausted (e.g. check quota).", 173,
         ErrorClass.rate_limit),
        ("http_500", 500, "An internal error has occurred. Please retry or try reformatting "
         "your input.", 244, ErrorClass.failed),
    ],
)  # fmt: skip
def test_http_errors_get_their_error_class(
    real_path: Path, standin: StandIn, workdir: Path, case: str, status: int, message: str,
    exit_code: int, expected: ErrorClass,
) -> None:  # fmt: skip
    standin.script.push("gemini", Reply(status=status, error=message, sticky=True))
    ran = run(standin, workdir)
    assert ran.outcome.exit_code == exit_code  # the status folded into the exit code
    assert not ran.result.success
    assert ran.result.error_class is expected, ran.result.error
    assert message.split(".")[0] in ran.result.error  # the telling line is in the message
    assert (ran.result.input_tokens, ran.result.output_tokens) == (0, 0)
    assert len(model_requests(standin)) == 1  # general.maxAttempts: 1, no retries
    check_recording(case, ran, standin, workdir)


def test_a_json_error_on_stderr_is_read(real_path: Path, standin: StandIn, workdir: Path) -> None:
    standin.script.push("gemini", Reply(status=429, error="Resource has been exhausted "
                                        "(e.g. check quota).", sticky=True))  # fmt: skip
    ran = run(standin, workdir, config=config_for(standin, cli=JSON_TEMPLATE))
    assert ran.outcome.exit_code == 173
    assert ran.result.error_class is ErrorClass.rate_limit, ran.result.error
    check_recording("json_http_429", ran, standin, workdir)


def test_max_attempts_is_what_keeps_gemini_retries_short(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """With ``general.maxAttempts: 2`` one failed request is retried once after ~5 s (the
    default of 10 attempts takes ~3.5 minutes); the run then succeeds."""
    write_settings(Path(os.environ["HOME"]), maxAttempts=2)
    standin.script.push("gemini", Reply(status=500, error="Internal error"),
                        Reply(text="second time lucky", input_tokens=10, output_tokens=2))  # fmt: skip
    ran = run(standin, workdir)
    assert ran.result.success, ran.result.error
    assert ran.result.text == "second time lucky"
    assert [r.status for r in standin.sent("gemini")] == [500, 200]
    assert "Attempt 1 failed" in "\n".join(ran.outcome.stderr_lines)
    check_recording("retried_500", ran, standin, workdir)


def test_gemini_not_installed_is_a_clear_failure(
    tmp_path: Path, standin: StandIn, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bwrap = shutil.which("bwrap")
    assert bwrap, "the sandbox needs bubblewrap"
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    path = os.pathsep.join([str(empty), str(Path(bwrap).parent)])
    assert shutil.which("gemini", path=path) is None
    monkeypatch.setenv("PATH", path)
    ran = run(standin, workdir)
    assert not ran.result.success and ran.result.error_class is ErrorClass.failed
    assert "gemini is not installed" in ran.result.error
    assert model_requests(standin) == []


def test_gemini_sends_nothing_but_model_requests(
    real_path: Path, standin: StandIn, workdir: Path
) -> None:
    """Every other host goes through a proxy that records and refuses it: none is asked
    (no usage statistics or update checks with the settings above)."""
    with refusing_proxy() as proxy:
        standin.script.push("gemini", Reply(text="hello"))
        ran = run(standin, workdir, config=config_for(standin, **proxy.env))
    assert ran.result.success, ran.result.error
    assert proxy.asked == []


def test_the_recordings_name_the_pinned_version() -> None:
    """Recordings made by another version are stale: record them again."""
    want = f"gemini {PINS['gemini']['version']}"
    for path in sorted(gemini_shapes.RECORDINGS.glob("*.json")):
        assert json.loads(path.read_text())["cli"] == want, f"{path.name} is from another version"
