"""GitHub Copilot CLI (pinned 1.0.102): argv builder and ``--output-format json`` parser.

The prompt travels as ``--prompt=<text>`` (one argv entry: a prompt that starts with
``-``, e.g. a markdown list, is never read as flags; ``-p <text>`` refuses it with
"Invalid command format"). The answer is in ``assistant.message`` events; success needs
a last ``result`` event with ``exitCode`` 0. A failed model call ends with a
``session.error`` (``errorType``: ``authentication``, ``rate_limit``, ``query``...;
``statusCode`` when the provider answered) and a result with ``exitCode`` 1. Failures
before the session starts (no credentials, a GitHub token that cannot be checked) are
plain text on stderr, exit 1.

Usage: the JSON output reports only ``usage.premiumRequests``; tokens and AI credits
(billed since June 2026, priced by the engine at the provider's ``usd_per_credit``) are
read from Copilot's session log (:mod:`convergio_tui.providers.copilot_usage`).

A run's hard spending limit is ``--max-ai-credits N`` (the CLI refuses N below 30),
checked after each model call returns, so a run may pass it by one call; a run stopped
by it ends with a ``session.error`` of type ``session_limit`` and a failed result.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from convergio_tui.providers import describe
from convergio_tui.providers.copilot_usage import SessionUsage, read_session_usage
from convergio_tui.providers.invocation import Invocation, substitute
from convergio_tui.providers.parsing import (
    cap_text,
    error_class_for,
    json_objects,
    no_result,
    plain_tail,
    precheck,
    status_class,
    sub_object,
    to_float,
    to_int,
)
from convergio_tui.providers.result import ErrorClass, ProviderResult, failure
from convergio_tui.providers.runner import ProcessOutcome

NAME = "copilot"
LIMIT_FLAG = "--max-ai-credits"
LIMIT_ERROR = "session_limit"
DEFAULT_TEMPLATE = [
    "copilot",
    "--prompt={prompt}",
    "--output-format",
    "json",
    "--allow-all-tools",
    "--no-ask-user",
    "--model",
    "{model}",
    "--no-auto-update",
]
# The provider could not be reached (a custom provider down, no network to GitHub): a
# retryable failure, never `auth`, although copilot's GitHub message names the token.
_UNREACHABLE = re.compile(
    r"could not connect to|network fetch failed|error sending request|check your network|"
    r"ECONNREFUSED|ENOTFOUND|EAI_AGAIN|connection refused|fetch failed",
    re.IGNORECASE,
)
NOT_INSTALLED = (
    "copilot is not installed (not on PATH): install it with "
    "`npm install -g @github/copilot`, or fix providers.copilot.cli"
)
# The command does not exist: bubblewrap's or the relay's words, or the runner's spawn error.
_NOT_FOUND = re.compile(r"(?:execvp|cannot run) '?\S*copilot\S*?'?: No such file or directory")
_ERROR_TYPES = {
    "authentication": ErrorClass.auth,
    "rate_limit": ErrorClass.rate_limit,
    LIMIT_ERROR: ErrorClass.spending_limit,
}


def build_invocation(
    template: list[str], prompt: str, model: str, workdir: Path, limit: float | None = None
) -> Invocation:
    """Fill the template (the prompt travels in argv; stdin stays closed). ``limit``: the
    run's hard limit in AI credits, appended as ``--max-ai-credits`` (whole credits)."""
    argv = substitute(template, prompt, model, workdir)
    if limit is not None:
        argv += [LIMIT_FLAG, str(int(limit))]
    return Invocation(argv=argv, stdin_text=None, env={})


def _data(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    return data if isinstance(data, dict) else {}


def _errors(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_data(e) for e in events if str(e.get("type", "")).endswith("error")]


def classify(outcome: ProcessOutcome, errors: list[dict[str, Any]], detail: str) -> ErrorClass:
    """The error class of a failed run: the provider's HTTP status, copilot's own
    ``errorType``, an unreachable provider (never auth), then the words of ``detail``."""
    for error in reversed(errors):
        by_status = status_class(error.get("statusCode"))
        if by_status is not None:
            return by_status
        by_type = _ERROR_TYPES.get(str(error.get("errorType", "")))
        if by_type is not None:
            return by_type
    if _UNREACHABLE.search(detail):
        return ErrorClass.failed
    return error_class_for(outcome, detail)


def _usage(result: dict[str, Any], session: str | None) -> SessionUsage:
    """Tokens and credits: from the result line when a version puts them there, else
    from the session log."""
    usage = sub_object(result, "usage")
    premium = to_float(usage.get("premiumRequests"))
    if any(key in usage for key in ("aiCredits", "inputTokens", "outputTokens")):
        credits = to_float(usage.get("aiCredits"))
        return SessionUsage(
            to_int(usage.get("inputTokens")), to_int(usage.get("outputTokens")), credits, premium
        )
    logged = read_session_usage(session) if session else None
    if logged is None:
        return SessionUsage(0, 0, None, premium)
    return SessionUsage(logged.input_tokens, logged.output_tokens, logged.credits,
                        premium if premium is not None else logged.premium_requests)  # fmt: skip


def not_installed(outcome: ProcessOutcome) -> bool:
    """The CLI's command could not be started at all (not on PATH, wrong path)."""
    if outcome.spawn_error is not None:
        return "No such file or directory" in outcome.spawn_error
    return not outcome.stdout_lines and any(_NOT_FOUND.search(x) for x in outcome.stderr_lines)


def parse(outcome: ProcessOutcome) -> ProviderResult:
    """Read the events: answer text, the ``result`` verdict, then the session's usage."""
    if not_installed(outcome):
        return failure(ErrorClass.failed, NOT_INSTALLED)
    early = precheck(outcome, NAME)
    if early is not None:
        return early
    events = json_objects(outcome.stdout_lines)
    texts = [
        str(_data(e).get("content", ""))
        for e in events
        if e.get("type") == "assistant.message" and _data(e).get("content")
    ]
    errors = _errors(events)
    messages = [str(e.get("message") or e.get("errorType") or e) for e in errors]
    results = [e for e in events if e.get("type") == "result"]
    text = texts[-1] if texts else ""
    stderr = plain_tail(outcome.stderr_lines)
    if not results:
        if messages:
            message = "copilot error: " + "\n".join(messages + ([stderr] if stderr else []))
            return failure(classify(outcome, errors, message), message, text=cap_text(text))
        done = no_result(outcome, NAME, text=text)
        if _UNREACHABLE.search(done.error):
            return failure(ErrorClass.failed, done.error, text=done.text)
        return done
    result = results[-1]
    session = str(result["sessionId"]) if result.get("sessionId") else None
    usage = _usage(result, session)
    done = ProviderResult.succeeded(
        cap_text(text),
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        premium_requests=usage.premium_requests,
        session_id=session,
        credits=usage.credits,
    )
    if result.get("exitCode") == 0 and outcome.exit_code == 0:
        return done
    if any(e.get("errorType") == LIMIT_ERROR for e in errors):
        # Stopped by its own hard limit: work unfinished, never a provider problem.
        spent = f"{usage.credits:g} AI credits" if usage.credits is not None else "its credits"
        return done.as_failure(
            ErrorClass.spending_limit,
            f"copilot stopped at its spending limit ({LIMIT_FLAG}) after {spent}",
        )
    detail = "\n".join(messages + ([stderr] if stderr else [])) or (
        f"result exitCode {result.get('exitCode')}, process exit code {outcome.exit_code}"
    )
    return done.as_failure(classify(outcome, errors, detail), f"copilot failed: {detail}")


# -- the dashboard's view of one JSON event line ----------------------------------------


def _describe_result(event: dict[str, Any]) -> str:
    usage = event.get("usage")
    if event.get("exitCode") == 0:
        credits = to_float(describe.dig(usage, "aiCredits"))
        premium = to_float(describe.dig(usage, "premiumRequests"))
        extra = f"{premium:g} premium request{'s' if premium != 1 else ''}" if premium else ""
        if credits:
            extra = f"{credits:g} AI credits" + (f", {extra}" if extra else "")
        inp, out = describe.dig(usage, "inputTokens"), describe.dig(usage, "outputTokens")
        return describe.done_line(inp, out, None, extra=extra)
    return f"{describe.FAILED} failed (exit code {event.get('exitCode')})"


def _describe_tool_done(data: dict[str, Any]) -> str:
    error = data.get("error")
    detail = describe.dig(error, "message") if isinstance(error, dict) else error
    if detail is None:
        detail = describe.dig(data, "result", "content")
    return describe.tool_result_line(bool(data.get("success")), detail)


def describe_line(line: str) -> str | None:
    """One line of Copilot's output as a person reads it; None for lines worth nothing."""
    event, text = describe.parse_event(line)
    if event is None:
        return text or None  # its stderr messages keep blank lines between paragraphs
    kind, data = str(event.get("type", "")), _data(event)
    if kind == "assistant.message":
        return describe.words(data.get("content"))
    if kind == "tool.execution_start":
        return describe.tool_line(data.get("toolName"), data.get("arguments"))
    if kind == "tool.execution_complete":
        return _describe_tool_done(data)
    if kind in ("session.start", "session.tools_updated"):
        # 1.0.102 prints no session.start in JSON; tools_updated opens the session.
        return describe.started_line(data.get("model") or data.get("selectedModel"))
    if kind == "session.info" and data.get("infoType") == "model_retry":
        return describe.words(data.get("message"))
    if kind == "result":
        return _describe_result(event)
    if kind.endswith("error"):
        detail = data.get("message") or data.get("errorType")
        return describe.failure_line(detail, status=data.get("statusCode"))
    return None  # message deltas (the whole message follows), turn and session bookkeeping
