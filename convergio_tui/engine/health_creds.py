"""Which credentials each CLI would use, found the way the CLI itself looks for them, and
the free request that proves them. Pure: files are read through the ``read`` callable.

Each function gets the environment the agent would get (the provider's ``env``, its
``env_pass`` variables and the sandbox's overrides), so health sees what a run sees.
The HTTP checks are the cheapest calls that need a valid credential and cost nothing:
listing models (Anthropic ``/v1/models``, Gemini ``/v1beta/models``, an OpenAI-compatible
``/models``) or GitHub's ``/user``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from convergio_tui.engine.health_verdict import Verdict, ok, problem

Reader = Callable[[str], str | None]  # a path -> its text, None when absent/unreadable

CLAUDE_LOGIN = ("run `claude auth login` (or `claude setup-token`), or export ANTHROPIC_API_KEY"
                " (the provider's env_pass passes ANTHROPIC_*)")  # fmt: skip
COPILOT_LOGIN = ("run `copilot login`, or export COPILOT_GITHUB_TOKEN (a fine-grained token with"
                 " the Copilot Requests permission), or point COPILOT_PROVIDER_BASE_URL at your"
                 " own model provider")  # fmt: skip
GEMINI_LOGIN = ("export GEMINI_API_KEY (a Google AI Studio key; env_pass passes GEMINI_*), or"
                " GOOGLE_GENAI_USE_VERTEXAI=true with GOOGLE_CLOUD_PROJECT and"
                " GOOGLE_CLOUD_LOCATION; Gemini CLI no longer serves personal Google accounts")  # fmt: skip
LOGIN_HINTS = {"claude": CLAUDE_LOGIN, "copilot": COPILOT_LOGIN, "gemini": GEMINI_LOGIN}
_ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True)
class HttpCheck:
    """A GET that succeeds only with valid credentials."""

    url: str
    what: str  # the credential, as the detail names it
    fix: str  # what to do when it is refused
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The URL without its query, for details."""
        return self.url.split("?", 1)[0]


Found = Verdict | HttpCheck


def _home(env: Mapping[str, str]) -> PurePosixPath:
    return PurePosixPath(env.get("HOME") or "/")


def _json(text: str | None) -> dict[str, Any]:
    """A JSON file that may carry ``//`` comment lines (copilot's config.json)."""
    if not text:
        return {}
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("//")]
    try:
        doc = json.loads("\n".join(lines))
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


# -- claude ------------------------------------------------------------------------------


def claude_key_check(env: Mapping[str, str]) -> HttpCheck | None:
    """The check of an API key claude would send (None for a claude.ai login, Bedrock,
    Vertex or Foundry, whose credentials no free request proves)."""
    if any(
        _truthy(env.get(f"CLAUDE_CODE_USE_{cloud}")) for cloud in ("BEDROCK", "VERTEX", "FOUNDRY")
    ):
        return None
    base = (env.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com").rstrip("/")
    headers = {"anthropic-version": _ANTHROPIC_VERSION}
    if env.get("ANTHROPIC_API_KEY"):
        headers["x-api-key"] = env["ANTHROPIC_API_KEY"]
        what = "the key in ANTHROPIC_API_KEY"
    elif env.get("ANTHROPIC_AUTH_TOKEN"):
        headers["authorization"] = f"Bearer {env['ANTHROPIC_AUTH_TOKEN']}"
        what = "the token in ANTHROPIC_AUTH_TOKEN"
    else:
        return None
    fix = "set a valid key, or remove it to use the `claude auth login` account"
    return HttpCheck(f"{base}/v1/models?limit=1", what, fix, headers)


# -- copilot -----------------------------------------------------------------------------


def _copilot_byok(env: Mapping[str, str]) -> Found:
    base = env["COPILOT_PROVIDER_BASE_URL"].rstrip("/")
    kind = (env.get("COPILOT_PROVIDER_TYPE") or "openai").lower()
    if env.get("COPILOT_PROVIDER_API_KEY_COMMAND") or kind == "azure":
        return ok(f"own model provider at {base} (credentials not verified)")
    headers: dict[str, str] = {}
    for line in (env.get("COPILOT_PROVIDER_HEADERS") or "").replace("\\n", "\n").splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip()] = value.strip()
    key = env.get("COPILOT_PROVIDER_BEARER_TOKEN") or env.get("COPILOT_PROVIDER_API_KEY") or ""
    what = "the key in COPILOT_PROVIDER_API_KEY" if key else "the provider endpoint"
    fix = "set a valid COPILOT_PROVIDER_API_KEY for COPILOT_PROVIDER_BASE_URL"
    if kind == "anthropic":
        headers.update(
            {"anthropic-version": _ANTHROPIC_VERSION, **({"x-api-key": key} if key else {})}
        )
        return HttpCheck(f"{base}/v1/models", what, fix, headers)
    if key:
        headers["authorization"] = f"Bearer {key}"
    return HttpCheck(f"{base}/models", what, fix, headers)


def copilot(env: Mapping[str, str], read: Reader) -> Found:
    """Copilot's credentials in its own order: a BYOK provider, a token in the
    environment, then a stored ``copilot login`` or GitHub CLI login."""
    if env.get("COPILOT_PROVIDER_BASE_URL"):
        return _copilot_byok(env)
    for name in ("COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"):
        token = env.get(name)
        if not token:
            continue
        if token.startswith("ghp_"):
            return problem("auth", f"{name} holds a classic personal access token, which "
                           "Copilot CLI does not accept", COPILOT_LOGIN)  # fmt: skip
        host = env.get("COPILOT_GH_HOST") or env.get("GH_HOST") or "github.com"
        host = re.sub(r"^https?://", "", host).strip("/")
        api = "https://api.github.com" if host == "github.com" else f"https://api.{host}"
        headers = {"authorization": f"Bearer {token}", "accept": "application/vnd.github+json",
                   "user-agent": "convergio-health"}  # fmt: skip
        return HttpCheck(f"{api}/user", f"the token in {name}", COPILOT_LOGIN, headers)
    home = env.get("COPILOT_HOME") or str(_home(env) / ".copilot")
    user = _json(read(f"{home}/config.json")).get("last_logged_in_user")
    if isinstance(user, dict) and user.get("login"):
        return ok(f"logged in as {user['login']} (stored `copilot login`, not verified)")
    gh = read(str(_home(env) / ".config" / "gh" / "hosts.yml")) or ""
    if "oauth_token" in gh or re.search(r"^\s+user:", gh, re.M):
        return ok("GitHub CLI login (`gh auth login`, not verified)")
    return problem("auth", "not logged in to GitHub Copilot", COPILOT_LOGIN)


# -- gemini ------------------------------------------------------------------------------

_GEMINI_NAMES = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL",
                 "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GOOGLE_CLOUD_PROJECT",
                 "GOOGLE_CLOUD_LOCATION", "GEMINI_CLI_USE_COMPUTE_ADC")  # fmt: skip


def _dotenv(text: str | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        name, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and name.strip() in _GEMINI_NAMES:
            found[name.strip()] = value.strip().strip("'\"")
    return found


def _gemini_env(env: Mapping[str, str], read: Reader) -> dict[str, str]:
    """The agent's environment plus what gemini loads from ``~/.gemini/.env`` and
    ``~/.env`` (never overriding a variable already set)."""
    merged = dict(env)
    home = _home(env)
    for path in (home / ".gemini" / ".env", home / ".env"):
        for name, value in _dotenv(read(str(path))).items():
            merged.setdefault(name, value)
    return merged


def _gemini_type(env: Mapping[str, str], settings: dict[str, Any]) -> str | None:
    """The auth type gemini 0.61 picks: the settings' choice, else the environment's."""
    auth = (
        settings.get("security", {}).get("auth", {})
        if isinstance(settings.get("security"), dict)
        else {}
    )
    chosen = (auth.get("selectedType") if isinstance(auth, dict) else None) or settings.get(
        "selectedAuthType"
    )
    if isinstance(chosen, str) and chosen:
        return chosen
    if env.get("GOOGLE_GENAI_USE_GCA") == "true":
        return "oauth-personal"
    if env.get("GOOGLE_GENAI_USE_VERTEXAI") == "true":
        return "vertex-ai"
    if env.get("GOOGLE_GEMINI_BASE_URL"):
        return "gateway"
    if env.get("GEMINI_API_KEY"):
        return "gemini-api-key"
    if env.get("CLOUD_SHELL") == "true" or env.get("GEMINI_CLI_USE_COMPUTE_ADC") == "true":
        return "compute-default-credentials"
    return None


def gemini(env: Mapping[str, str], read: Reader) -> Found:
    """Gemini's credentials: its selected auth type and the key or project it needs."""
    env = _gemini_env(env, read)
    home = _home(env) / ".gemini"
    kind = _gemini_type(env, _json(read(str(home / "settings.json"))))
    if kind is None:
        return problem("auth", "no Gemini credentials", GEMINI_LOGIN)
    if kind in ("gemini-api-key", "gateway"):
        key = env.get("GEMINI_API_KEY") or ""
        if not key and kind == "gemini-api-key":
            return ok("API key saved by gemini itself (not verified)")
        base = (
            env.get("GOOGLE_GEMINI_BASE_URL") or "https://generativelanguage.googleapis.com"
        ).rstrip("/")
        what = "the key in GEMINI_API_KEY" if key else "the Gemini gateway"
        headers = {"x-goog-api-key": key} if key else {}
        return HttpCheck(
            f"{base}/v1beta/models?pageSize=1", what, "set a valid GEMINI_API_KEY", headers
        )
    if kind == "vertex-ai":
        if env.get("GOOGLE_API_KEY") or (
            env.get("GOOGLE_CLOUD_PROJECT") and env.get("GOOGLE_CLOUD_LOCATION")
        ):
            return ok("Vertex AI credentials (not verified)")
        return problem("auth", "Vertex AI selected without GOOGLE_CLOUD_PROJECT and "
                       "GOOGLE_CLOUD_LOCATION or GOOGLE_API_KEY", GEMINI_LOGIN)  # fmt: skip
    if kind == "oauth-personal":
        if read(str(home / "oauth_creds.json")):
            return ok("Google login (not verified; personal accounts are no longer served)")
        return problem("auth", "Google login selected but not logged in", GEMINI_LOGIN)
    return ok(f"{kind} credentials (not verified)")
