"""What a health check concludes from what it saw. Pure: no I/O.

A verdict is a state (``up``, ``down``, ``cooldown``), a reason (``None`` when up) and a
detail that says what happened and, when something is wrong, what to do about it. The
detail of a problem starts with its reason (``auth: ...``) so a reader, the dashboard
and ``convergio health --json`` can tell the kind of problem without another column.

``down`` is for what a person must fix (CLI missing or broken, no or rejected
credentials); ``cooldown`` for what passes by itself (a slow check, an API not
answering, a rate limit).
"""

from __future__ import annotations

import json
import re
from typing import Any

from convergio_tui.frozen import Frozen, frozen

# Reasons a provider is not up, each with the state it puts the provider in.
REASON_STATES = {
    "missing": "down",  # the CLI is not installed
    "broken": "down",  # the CLI is there but `--version` fails
    "auth": "down",  # no credentials, or credentials refused
    "timeout": "cooldown",  # a probe took longer than health.check_timeout_s
    "rate_limit": "cooldown",
    "unreachable": "cooldown",  # the API or the local endpoint does not answer (well)
    "model_not_found": "cooldown",  # seen in a run
}

# npm packages of the CLIs Convergio ships templates for (docs/providers/health.md).
PACKAGES = {
    "claude": "@anthropic-ai/claude-code",
    "copilot": "@github/copilot",
    "gemini": "@google/gemini-cli",
    "opencode": "opencode-ai",
}

_VERSION = re.compile(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z][0-9A-Za-z.-]*)?)")


@frozen
class Verdict(Frozen):
    """A state, the reason when not up, and the detail a person reads."""

    state: str
    detail: str
    reason: str | None = None

    @property
    def up(self) -> bool:
        """The provider may take work."""
        return self.state == "up"


FIX = "; fix: "  # separates what happened from what to do in a detail


def problem(reason: str, what: str, todo: str = "") -> Verdict:
    """A provider that is not up: ``"<reason>: <what>; fix: <todo>"``."""
    detail = f"{reason}: {what}"[:400] + (f"{FIX}{todo}" if todo else "")
    return Verdict(REASON_STATES.get(reason, "down"), detail[:800], reason)


def split_detail(detail: str) -> tuple[str, str]:
    """``(what happened, what to do)`` of a stored detail; the second is empty when the
    detail says nothing to do."""
    what, _, todo = detail.partition(FIX)
    return what, todo


def ok(detail: str) -> Verdict:
    """A provider that may take work."""
    return Verdict("up", detail[:600])


def reason_of(detail: str | None) -> str | None:
    """The reason a stored detail starts with (None for an up detail or free text)."""
    head = (detail or "").split(":", 1)[0]
    return head if head in REASON_STATES and ":" in (detail or "") else None


def parse_version(output: str) -> str | None:
    """The version number in a CLI's ``--version`` output (copilot prints ``GitHub
    Copilot CLI 1.0.102.`` then an update hint; claude ``2.1.332 (Claude Code)``)."""
    for line in output.splitlines():
        found = _VERSION.search(line)
        if found:
            return found.group(1).rstrip(".-")
    return None


def first_line(output: str, limit: int = 200) -> str:
    """The first line that says something (not a lone brace or bracket)."""
    for line in output.splitlines():
        text = line.strip()
        if text and text not in "{}[]()" and not text.startswith(("at ", "}")):
            return text[:limit]
    return ""


def install_hint(kind: str, cli: str) -> str:
    """What to do when the CLI is not on PATH."""
    package = PACKAGES.get(kind)
    how = f"install it: npm install -g {package}" if package else "install it"
    return f"{how}, or set the provider's cli[0] to its full path"


# -- HTTP answers of a credential check --------------------------------------------------


def error_text(body: bytes | str) -> tuple[str, str]:
    """``(code, message)`` from an API's error document (Anthropic, OpenAI, Google,
    GitHub); empty strings when the body says nothing readable."""
    try:
        doc: Any = json.loads(body or b"{}")
    except ValueError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        return "", first_line(text)
    if not isinstance(doc, dict):
        return "", ""
    error = doc.get("error", doc)
    if isinstance(error, str):
        return "", error[:200]
    if not isinstance(error, dict):
        return "", ""
    code = str(error.get("status") or error.get("type") or error.get("code") or "")
    for item in error.get("details") or ():
        if isinstance(item, dict) and item.get("reason"):
            code = str(item["reason"])  # Google's ErrorInfo: API_KEY_INVALID
    return code, str(error.get("message") or "")[:200]


def http_verdict(status: int, body: bytes, *, what: str, where: str, fix: str) -> Verdict:
    """The verdict on a credential check's HTTP answer.

    ``what`` names the credential (``the key in ANTHROPIC_API_KEY``), ``where`` the URL
    asked, ``fix`` what to do when the credential is refused.
    """
    code, message = error_text(body)
    said = f"{status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    if 200 <= status < 300:
        return ok(f"{what} accepted by {where}")
    key_refused = status == 400 and ("API_KEY" in code or "api key" in message.lower())
    if status in (401, 403) or key_refused:
        return problem("auth", f"{what} was refused by {where} ({said})", fix)
    if status == 429:
        return problem(
            "rate_limit", f"{where} answered {said}", "none: Convergio waits for the cooldown"
        )
    if status in (404, 405, 501):
        # A gateway without a model list: the credential cannot be checked this way.
        return ok(f"{what} not verified ({where} answered {status})")
    return problem("unreachable", f"{where} answered {said}", "check the API's base URL")


def network_verdict(where: str, error: str, timeout_s: float, timed_out: bool) -> Verdict:
    """The verdict when a credential check got no HTTP answer at all."""
    if timed_out:
        return problem("timeout", f"{where} did not answer within {timeout_s:g}s",
                       "raise health.check_timeout_s if the network is slow")  # fmt: skip
    return problem("unreachable", f"cannot reach {where} ({error})",
                   "check the network or the API's base URL")  # fmt: skip


# -- a configured auth_check command -------------------------------------------------------


def claude_status(output: str) -> dict[str, Any] | None:
    """``claude auth status`` prints a JSON document (``loggedIn``, ``authMethod``...)."""
    start = output.find("{")
    if start < 0:
        return None
    try:
        doc = json.loads(output[start:])
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def command_verdict(argv: list[str], code: int, output: str, login_hint: str) -> Verdict:
    """The verdict on an ``auth_check`` command: exit 0 means logged in."""
    shown = " ".join(argv)
    status = claude_status(output) if "auth" in argv else None
    if status is not None:
        if code == 0 and status.get("loggedIn") is not False:
            method = status.get("authMethod") or "logged in"
            source = status.get("apiKeySource")
            return ok(f"logged in ({method}{f' from {source}' if source else ''})")
        return problem("auth", f"not logged in (`{shown}` says loggedIn: false)", login_hint)
    if code == 0:
        return ok(f"`{shown}` exited 0")
    said = first_line(output)
    return problem("auth", f"`{shown}` exited {code}" + (f": {said}" if said else ""), login_hint)
