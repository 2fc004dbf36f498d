"""Health's pure parts: version numbers out of each CLI's ``--version``, verdicts on a
login command's output and on an API's answer, and which credentials each CLI would use
(found the way the CLI looks for them, from an environment and files)."""

from __future__ import annotations

import json

import pytest

from convergio_tui.engine import health_creds as creds
from convergio_tui.engine.health_verdict import (
    Verdict,
    command_verdict,
    http_verdict,
    parse_version,
    reason_of,
    split_detail,
)

# What `claude auth status` 2.1.332 prints with no login (exit 1): its last line is `}`.
CLAUDE_LOGGED_OUT = json.dumps(
    {"loggedIn": False, "authMethod": "none", "apiProvider": "firstParty"}, indent=2
)


@pytest.mark.parametrize(
    ("output", "version"),
    [
        ("2.1.332 (Claude Code)\n", "2.1.332"),
        ("GitHub Copilot CLI 1.0.102.\nRun 'copilot update' to check for updates.\n", "1.0.102"),
        ("0.61.0\n", "0.61.0"),
        ("1.18.33\n", "1.18.33"),
        ("v2.0.0-beta.3.\n", "2.0.0-beta.3"),
        ("Run 'copilot update' to check for updates.\n", None),
    ],
)
def test_version_is_the_number_not_a_hint(output: str, version: str | None) -> None:
    assert parse_version(output) == version


def test_a_logged_out_claude_says_so_and_what_to_do() -> None:
    verdict = command_verdict(
        ["claude", "auth", "status"], 1, CLAUDE_LOGGED_OUT, "run `claude auth login`"
    )
    assert (verdict.state, verdict.reason) == ("down", "auth")
    assert verdict.detail == (
        "auth: not logged in (`claude auth status` says loggedIn: false); fix: run `claude auth login`"
    )
    assert split_detail(verdict.detail)[1] == "run `claude auth login`"
    assert reason_of(verdict.detail) == "auth"


def test_a_failing_command_quotes_its_first_meaningful_line() -> None:
    verdict = command_verdict(["mycli", "whoami"], 2, "{\n  Error: token expired\n}\n", "log in")
    assert verdict.detail == "auth: `mycli whoami` exited 2: Error: token expired; fix: log in"


@pytest.mark.parametrize(
    ("status", "body", "state", "reason"),
    [
        (200, b'{"data": []}', "up", None),
        (401, b'{"error": {"type": "authentication_error", "message": "invalid x-api-key"}}', "down", "auth"),
        (403, b'{"message": "Bad credentials"}', "down", "auth"),
        (400, b'{"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT",'
              b' "details": [{"reason": "API_KEY_INVALID"}]}}', "down", "auth"),
        (400, b'{"error": {"message": "bad request"}}', "cooldown", "unreachable"),
        (429, b"{}", "cooldown", "rate_limit"),
        (404, b"not here", "up", None),  # a gateway without a model list: not verified
        (503, b"<html>oops</html>", "cooldown", "unreachable"),
    ],
)  # fmt: skip
def test_api_answers(status: int, body: bytes, state: str, reason: str | None) -> None:
    verdict = http_verdict(status, body, what="the key", where="https://api.example", fix="fix it")
    assert (verdict.state, verdict.reason) == (state, reason)
    if status == 404:
        assert "not verified" in verdict.detail


def _files(files: dict[str, str]) -> creds.Reader:
    return files.get


def test_copilot_prefers_byok_then_tokens_then_stored_logins() -> None:
    byok = creds.copilot({"COPILOT_PROVIDER_BASE_URL": "http://127.0.0.1:9/v1/",
                          "COPILOT_PROVIDER_API_KEY": "k", "GH_TOKEN": "gho_x"}, _files({}))  # fmt: skip
    assert isinstance(byok, creds.HttpCheck)
    assert (
        byok.url == "http://127.0.0.1:9/v1/models" and byok.headers["authorization"] == "Bearer k"
    )
    anthropic = creds.copilot({"COPILOT_PROVIDER_BASE_URL": "https://gw", "COPILOT_PROVIDER_TYPE":
                               "anthropic", "COPILOT_PROVIDER_API_KEY": "k"}, _files({}))  # fmt: skip
    assert isinstance(anthropic, creds.HttpCheck)
    assert (anthropic.url, anthropic.headers["x-api-key"]) == ("https://gw/v1/models", "k")
    token = creds.copilot(
        {"GITHUB_TOKEN": "github_pat_1", "COPILOT_GH_HOST": "acme.ghe.com"}, _files({})
    )
    assert isinstance(token, creds.HttpCheck) and token.url == "https://api.acme.ghe.com/user"
    classic = creds.copilot({"GH_TOKEN": "ghp_old"}, _files({}))
    assert isinstance(classic, Verdict) and classic.reason == "auth" and "classic" in classic.detail
    stored = creds.copilot({"HOME": "/h"}, _files({"/h/.copilot/config.json":
                           '// managed\n{"last_logged_in_user": {"login": "octo"}}'}))  # fmt: skip
    assert isinstance(stored, Verdict) and stored.up and "octo" in stored.detail
    gh = creds.copilot(
        {"HOME": "/h"}, _files({"/h/.config/gh/hosts.yml": "github.com:\n    user: octo\n"})
    )
    assert isinstance(gh, Verdict) and gh.up
    nothing = creds.copilot({"HOME": "/h"}, _files({}))
    assert isinstance(nothing, Verdict) and nothing.reason == "auth"


def test_gemini_follows_its_auth_type() -> None:
    keyed = creds.gemini({"HOME": "/h", "GEMINI_API_KEY": "k"}, _files({}))
    assert isinstance(keyed, creds.HttpCheck)
    assert keyed.url.startswith("https://generativelanguage.googleapis.com/v1beta/models")
    from_dotenv = creds.gemini(
        {"HOME": "/h"}, _files({"/h/.gemini/.env": "export GEMINI_API_KEY='d'\n"})
    )
    assert isinstance(from_dotenv, creds.HttpCheck) and from_dotenv.headers["x-goog-api-key"] == "d"
    vertex = creds.gemini({"HOME": "/h", "GOOGLE_GENAI_USE_VERTEXAI": "true"}, _files({}))
    assert (
        isinstance(vertex, Verdict)
        and vertex.reason == "auth"
        and "GOOGLE_CLOUD_PROJECT" in vertex.detail
    )
    login = creds.gemini({"HOME": "/h"}, _files({"/h/.gemini/settings.json":
                         '{"security": {"auth": {"selectedType": "oauth-personal"}}}'}))  # fmt: skip
    assert isinstance(login, Verdict) and login.reason == "auth"
    nothing = creds.gemini({"HOME": "/h"}, _files({}))
    assert isinstance(nothing, Verdict) and nothing.reason == "auth"
    assert "no longer serves personal Google accounts" in nothing.detail


def test_claude_proves_only_keys_a_free_call_can_prove() -> None:
    check = creds.claude_key_check({"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://x/"})
    assert check is not None and check.url == "http://x/v1/models?limit=1"
    assert check.headers["x-api-key"] == "k" and check.where == "http://x/v1/models"
    token = creds.claude_key_check({"ANTHROPIC_AUTH_TOKEN": "t"})
    assert token is not None and token.headers["authorization"] == "Bearer t"
    assert creds.claude_key_check({}) is None  # a claude.ai login
    assert (
        creds.claude_key_check({"ANTHROPIC_API_KEY": "k", "CLAUDE_CODE_USE_BEDROCK": "1"}) is None
    )
