"""GitHub Copilot CLI: argv builder and JSON event parser.

The answer is in ``assistant.message`` events; success needs a last ``result`` event
with ``exitCode`` 0. Stale authentication exits 0 with no output at all: no result
means failure, and total silence is read as an auth problem. No tokens, no USD: since
June 2026 Copilot is billed in AI credits (``usage.aiCredits``; the engine prices them
with the provider's ``usd_per_credit``), and ``usage.premiumRequests`` is kept too.

A run's hard spending limit is ``--max-ai-credits N`` (the CLI refuses N below 30). It is
checked after each model call returns, so a run may pass it by one call; a run stopped
by it ends with a ``session.error`` of type ``session_limit`` and a failed result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from convergio_tui.workers import describe
from convergio_tui.workers.invocation import Invocation, substitute
from convergio_tui.workers.parsing import (
    cap_text,
    error_class_for,
    json_objects,
    no_result,
    plain_tail,
    precheck,
    to_float,
    to_int,
)
from convergio_tui.workers.result import ErrorClass, WorkerResult, failure
from convergio_tui.workers.runner import ProcessOutcome

NAME = "copilot"
LIMIT_FLAG = "--max-ai-credits"
LIMIT_ERROR = "session_limit"
DEFAULT_TEMPLATE = [
    "copilot",
    "-p",
    "{prompt}",
    "--output-format",
    "json",
    "--allow-all-tools",
    "--no-ask-user",
    "--model",
    "{model}",
    "--no-auto-update",
]


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


def parse(outcome: ProcessOutcome) -> WorkerResult:
    """Read the events: answer text, premium requests, and the ``result`` verdict."""
    early = precheck(outcome, NAME)
    if early is not None:
        return early
    silent = not any(line.strip() for line in outcome.stdout_lines + outcome.stderr_lines)
    if silent and outcome.exit_code == 0:
        return failure(
            ErrorClass.auth,
            "copilot exited 0 with no output at all: authentication is probably stale "
            "(check COPILOT_GITHUB_TOKEN / GH_TOKEN / `gh auth status`)",
        )
    events = json_objects(outcome.stdout_lines)
    texts = [
        str(_data(e).get("content", ""))
        for e in events
        if e.get("type") == "assistant.message" and _data(e).get("content")
    ]
    errors = [
        str(_data(e).get("message") or _data(e).get("errorType") or e)
        for e in events
        if str(e.get("type", "")).endswith("error")
    ]
    limited = any(
        str(e.get("type", "")).endswith("error") and _data(e).get("errorType") == LIMIT_ERROR
        for e in events
    )
    results = [e for e in events if e.get("type") == "result"]
    text = texts[-1] if texts else ""
    if not results:
        if errors:
            message = "copilot error: " + "\n".join(errors)
            return failure(error_class_for(outcome, message), message, text=cap_text(text))
        return no_result(outcome, NAME, text=text)
    result = results[-1]
    usage = result.get("usage") if isinstance(result.get("usage"), dict) else {}
    premium = to_float(usage.get("premiumRequests"))
    credits = to_float(usage.get("aiCredits"))
    input_tokens = to_int(usage.get("inputTokens"))
    output_tokens = to_int(usage.get("outputTokens"))
    session = result.get("sessionId")
    done = WorkerResult.succeeded(
        cap_text(text),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        premium_requests=premium,
        session_id=str(session) if session else None,
        credits=credits,
    )
    if result.get("exitCode") == 0 and outcome.exit_code == 0:
        return done
    if limited:
        # Stopped by its own hard limit: a plain failure, never a provider problem.
        spent = f"{credits:g} AI credits" if credits is not None else "its credits"
        return done.as_failure(
            ErrorClass.failed, f"copilot stopped at its spending limit ({LIMIT_FLAG}) after {spent}"
        )
    stderr = plain_tail(outcome.stderr_lines)
    detail = "\n".join(errors + ([stderr] if stderr else [])) or (
        f"result exitCode {result.get('exitCode')}, process exit code {outcome.exit_code}"
    )
    return done.as_failure(error_class_for(outcome, detail), f"copilot failed: {detail}")


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
        return text
    kind, data = str(event.get("type", "")), _data(event)
    if kind == "assistant.message":
        return describe.words(data.get("content"))
    if kind == "tool.execution_start":
        return describe.tool_line(data.get("toolName"), data.get("arguments"))
    if kind == "tool.execution_complete":
        return _describe_tool_done(data)
    if kind == "session.start":
        return describe.started_line(data.get("model") or data.get("selectedModel"))
    if kind == "result":
        return _describe_result(event)
    if kind.endswith("error"):
        detail = data.get("message") or data.get("errorType")
        return describe.failure_line(detail, status=data.get("statusCode"))
    return None  # message deltas (the whole message follows), turn and session bookkeeping
