"""Provider health against the pinned real CLIs and the stand-in model server: what
``convergio health`` concludes for each CLI with a key the stand-in accepts, a key it
refuses, no credentials at all, and the CLI not installed.

The checks run as the engine runs them: each CLI in the provider's sandbox with the
provider's ``env`` (the keys live only there, never in our own environment). A refused
key follows the stand-in's convention: a key starting with ``sk-invalid`` is answered
401 (Anthropic, OpenAI) or 400 ``API_KEY_INVALID`` (Gemini), as the real APIs do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import FAKE_KEY, PINS, contract_config, real_cli_bin

from convergio_tui.config.schema import Config
from convergio_tui.engine import health
from convergio_tui.sim.standin import StandIn, gemini_api, openai_api, protocols, serve_standin
from convergio_tui.sim.standin.script import Reply
from convergio_tui.sim.standin.server import Request, Response

BAD_KEY = "sk-invalid-convergio-contract"
CLOUD = ("claude", "copilot", "gemini")
# Nothing but the checks' own requests: no telemetry, update checks or error reports.
QUIET = {
    "claude": {"DISABLE_AUTOUPDATER": "1", "DISABLE_TELEMETRY": "1",
               "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"},
    "copilot": {"COPILOT_AUTO_UPDATE": "false"},
    "gemini": {"GEMINI_TELEMETRY_ENABLED": "false"},
}  # fmt: skip


def _refuse_bad_keys(request: Request, standin: StandIn) -> Response | None:
    """Refuse ``sk-invalid...`` keys on the OpenAI and Gemini paths too (the Anthropic
    module refuses them itself), in each API's own error shape."""
    key = (request.headers.get("x-goog-api-key") or request.headers.get("authorization")
           or "").removeprefix("Bearer ")  # fmt: skip
    if not key.startswith("sk-invalid"):
        return None
    if request.path.startswith(("/v1beta/", "/v1alpha/")) or "x-goog-api-key" in request.headers:
        reply = Reply(status=400, error="API key not valid. Please pass a valid API key.",
                      error_type="API_KEY_INVALID")  # fmt: skip
        return Response(400, gemini_api.error_body(reply))
    if (
        request.path in ("/models", "/v1/models", *openai_api.CHAT_PATHS)
        and "x-api-key" not in request.headers
    ):
        reply = Reply(
            status=401, error="Incorrect API key provided", error_type="invalid_request_error"
        )
        return Response(401, openai_api.error_body(reply))
    return None


@pytest.fixture
def real_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real CLIs first on PATH, a fresh HOME, none of our own provider variables."""
    bin_dir = real_cli_bin()
    for name in (*CLOUD, "opencode"):
        assert (bin_dir / name).exists(), f"no real {name} in {bin_dir}"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    prefixes = ("ANTHROPIC_", "CLAUDE_", "COPILOT_", "GEMINI_", "GOOGLE_", "OPENCODE_")
    for name in list(os.environ):
        if name.startswith(prefixes) or name in ("GH_TOKEN", "GITHUB_TOKEN", "IS_SANDBOX"):
            monkeypatch.delenv(name)
    return bin_dir


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    """The stand-in model server on 127.0.0.1, refusing ``sk-invalid`` keys everywhere."""
    monkeypatch.setattr(protocols, "HANDLERS", [("keys", _refuse_bad_keys), *protocols.HANDLERS])
    with serve_standin() as server:
        yield server


def _config(standin: StandIn, key: str | None) -> Config:
    """The shipped configuration (shipped checks and timeout), each cloud CLI's key in its
    provider ``env`` pointing it at the stand-in; opencode's endpoint is the stand-in."""
    keys: dict[str, dict[str, str]] = {
        "claude": {"ANTHROPIC_BASE_URL": standin.url, "ANTHROPIC_API_KEY": key or ""},
        "copilot": {"COPILOT_PROVIDER_BASE_URL": f"{standin.url}/v1",
                    "COPILOT_PROVIDER_API_KEY": key or ""},
        "gemini": {"GOOGLE_GEMINI_BASE_URL": standin.url, "GEMINI_API_KEY": key or ""},
    }  # fmt: skip
    if key is None:
        keys = {name: {} for name in CLOUD}
    changes = {name: {"env": {**QUIET[name], **keys[name]}} for name in CLOUD}
    return contract_config({**changes, "opencode": {"endpoint": standin.url}})


def _doc(config: Config, names: tuple[str, ...]) -> dict[str, dict[str, object]]:
    checked = health.refresh(config, force=True, providers=names)
    assert sorted(checked) == sorted(names)
    return health.health_document(config)


def test_accepted_keys_are_up_with_the_real_versions(real_path: Path, standin: StandIn,
                                                     db_file: Path) -> None:  # fmt: skip
    doc = _doc(_config(standin, FAKE_KEY), (*CLOUD, "opencode"))
    for name in (*CLOUD, "opencode"):
        row = doc[name]
        assert row["state"] == "up", row["detail"]
        assert row["version"] == PINS[name]["version"]  # not copilot's update hint
        assert str(row["detail"]).startswith(f"{name} {PINS[name]['version']}; ")
    for name in CLOUD:
        assert f"accepted by {standin.url}" in str(doc[name]["detail"])
    # Each key reached the API as its CLI sends it; the check cost no model request.
    sent = {(r.path, r.headers.get("x-api-key") or r.headers.get("x-goog-api-key")
             or r.headers.get("authorization")) for r in standin.sent()}  # fmt: skip
    assert ("/v1/models", FAKE_KEY) in sent  # claude's key as claude sends it
    assert ("/v1/models", f"Bearer {FAKE_KEY}") in sent  # copilot's BYOK key
    assert ("/v1beta/models", FAKE_KEY) in sent  # gemini's
    assert not [r for r in standin.sent() if r.method == "POST"]
    assert "ollama" in str(doc["opencode"]["detail"])


def test_refused_keys_are_down_saying_what_to_do(real_path: Path, standin: StandIn,
                                                 db_file: Path) -> None:  # fmt: skip
    doc = _doc(_config(standin, BAD_KEY), CLOUD)
    for name in CLOUD:
        row = doc[name]
        assert (row["state"], row["reason"]) == ("down", "auth"), row["detail"]
        assert "was refused by" in str(row["detail"])
        assert row["fix"], row["detail"]
    assert "401 authentication_error: invalid x-api-key" in str(doc["claude"]["detail"])
    assert "API_KEY_INVALID" in str(doc["gemini"]["detail"])
    assert doc["gemini"]["fix"] == "set a valid GEMINI_API_KEY"
    assert "COPILOT_PROVIDER_API_KEY" in str(doc["copilot"]["fix"])


def test_no_credentials_at_all_is_down(real_path: Path, standin: StandIn, db_file: Path) -> None:
    doc = _doc(_config(standin, None), CLOUD)
    for name in CLOUD:
        assert (doc[name]["state"], doc[name]["reason"]) == ("down", "auth"), doc[name]["detail"]
        assert not str(doc[name]["detail"]).rstrip().endswith("}")  # not a JSON fragment
    assert "loggedIn: false" in str(doc["claude"]["detail"])
    assert str(doc["claude"]["fix"]).startswith("run `claude auth login`")
    assert str(doc["copilot"]["fix"]).startswith("run `copilot login`")
    assert str(doc["gemini"]["fix"]).startswith("export GEMINI_API_KEY")
    assert not standin.sent()  # nothing to prove: no request


def test_cli_not_installed_is_down_saying_how_to_install(
    real_path: Path, standin: StandIn, db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"/usr/bin{os.pathsep}/bin")  # no provider CLI here
    doc = _doc(_config(standin, FAKE_KEY), (*CLOUD, "opencode"))
    for name in (*CLOUD, "opencode"):
        assert (doc[name]["state"], doc[name]["reason"]) == ("down", "missing")
        assert doc[name]["fix"] == (
            f"install it: npm install -g {PINS[name]['package']}, "
            "or set the provider's cli[0] to its full path"
        )
