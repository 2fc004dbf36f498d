"""Helpers shared by the provider output parsers: JSON lines, error classes, outcomes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from convergio_tui.providers.result import ErrorClass, ProviderResult, failure
from convergio_tui.providers.runner import ProcessOutcome

TEXT_LIMIT = 100_000  # characters of answer text kept in a ProviderResult

_RATE_LIMIT = re.compile(
    r"\b429\b|rate[ _-]?limit|RESOURCE_EXHAUSTED|TerminalQuotaError|quota exceeded|"
    r"exhausted your (?:capacity|quota)|usage limit|too many requests|overloaded_error",
    re.IGNORECASE,
)
_AUTH = re.compile(
    r"\b401\b|unauthori[sz]ed|authenticat|invalid api key|please run /login|not logged in|"
    r"login required|FatalAuthenticationError|ProviderAuthError|set an auth method",
    re.IGNORECASE,
)
_MODEL = re.compile(
    r"model\b[^\n]{0,120}?\b(?:not found|not available|not valid|not supported|"
    r"does not exist|unknown)|not_found_error|ModelNotFound|issue with the selected model|"
    r"unknown model|invalid model",
    re.IGNORECASE,
)
_STATUS_CLASSES = {
    429: ErrorClass.rate_limit,
    529: ErrorClass.rate_limit,
    401: ErrorClass.auth,
    403: ErrorClass.auth,
    404: ErrorClass.model_not_found,
}
# Shells report a signal death as 128 + signal: SIGABRT, SIGFPE, SIGKILL, SIGSEGV, SIGBUS.
_SIGNAL_EXITS = {134, 136, 137, 139, 135}


def json_objects(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Every line that parses as a JSON object, in order; other lines are skipped."""
    objects: list[dict[str, Any]] = []
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith("{"):
            continue
        try:
            value = json.loads(stripped)
        except ValueError:
            continue
        if isinstance(value, dict):
            objects.append(value)
    return objects


def classify_text(text: str) -> ErrorClass | None:
    """Rate limit, auth or model error named in an error text; None if none is."""
    if _RATE_LIMIT.search(text):
        return ErrorClass.rate_limit
    if _AUTH.search(text):
        return ErrorClass.auth
    if _MODEL.search(text):
        return ErrorClass.model_not_found
    return None


def status_class(status: object) -> ErrorClass | None:
    """The error class of an HTTP status a CLI reports (429, 401, 404...)."""
    try:
        # int() of any JSON value: what it refuses raises, and is caught below.
        return _STATUS_CLASSES.get(int(status))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def died_by_signal(outcome: ProcessOutcome) -> bool:
    """True when the child ended by a signal (negative code, or 128+signal from a shell)."""
    code = outcome.exit_code
    return code is not None and (code < 0 or code in _SIGNAL_EXITS)


def precheck(outcome: ProcessOutcome, provider: str) -> ProviderResult | None:
    """Outcomes decided before reading any output: not started, cancelled, timed out."""
    if outcome.spawn_error is not None:
        return failure(ErrorClass.failed, f"{provider} could not start: {outcome.spawn_error}")
    if outcome.cancelled:
        return failure(ErrorClass.failed, f"{provider} run cancelled")
    if outcome.timed_out:
        return failure(ErrorClass.timeout, f"{provider} timed out after {outcome.duration_s:.0f}s")
    return None


def plain_tail(lines: Iterable[str], count: int = 12) -> str:
    """The last non-empty lines that are not JSON, joined: what a human would read."""
    plain = [line for line in lines if line.strip() and not line.lstrip().startswith("{")]
    return "\n".join(plain[-count:])


def cap_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """Keep the end of a long answer (its conclusion), marked as cut."""
    if len(text) <= limit:
        return text
    return "[…]" + text[-limit:]


def sub_object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """The JSON object under ``key``; empty when it is missing or not an object."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def to_int(value: object) -> int:
    """A token count from JSON, 0 when missing or malformed."""
    try:
        return max(0, int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def to_float(value: object) -> float | None:
    """A number from JSON, None when missing or malformed."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def error_class_for(outcome: ProcessOutcome, text: str, *, status: object = None) -> ErrorClass:
    """Classify a failure: a reported HTTP status, then a signal death, then the text."""
    return (
        status_class(status)
        or (ErrorClass.crashed if died_by_signal(outcome) else None)
        or classify_text(text)
        or ErrorClass.failed
    )


def no_result(outcome: ProcessOutcome, provider: str, *, text: str = "") -> ProviderResult:
    """The run ended without the structured result that would prove success."""
    tail = plain_tail(outcome.stderr_lines) or plain_tail(outcome.stdout_lines)
    if died_by_signal(outcome):
        message = f"{provider} crashed (exit code {outcome.exit_code}) before its result"
    else:
        message = f"{provider} exited with code {outcome.exit_code} without a result"
    if tail:
        message += f": {tail}"
    return failure(error_class_for(outcome, tail), message, text=cap_text(text))
