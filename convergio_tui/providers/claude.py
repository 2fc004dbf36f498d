"""Claude Code: argv builder and ``stream-json`` parser (checked against the pinned real
CLI by ``tests/contract/test_contract_claude.py``; see docs/providers/claude.md).

The prompt goes on stdin unless the template places ``{prompt}``. Success needs a
``result`` event with ``is_error`` false: an API error arrives as ``subtype: "success"``,
``is_error: true`` and ``api_error_status`` (401, 404, 429...), so the status decides the
error class; without one (no key at all) the ``error`` code of claude's synthetic
assistant message does. Older versions exited 0 on a rate limit; 2.1.x exits 1.

A run's hard spending limit is ``--max-budget-usd``: Claude checks it after each model
call, so a run stops with ``subtype: "error_max_budget_usd"``, ``total_cost_usd`` = what
the calls cost (it may pass the limit by one call; the engine leaves room for it), a
top-level ``usage`` of 0 and the real tokens in ``modelUsage``. That is
:attr:`ErrorClass.spending_limit`, never a provider problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from convergio_tui.providers import describe
from convergio_tui.providers.invocation import Invocation, has_placeholder, substitute
from convergio_tui.providers.parsing import (
    cap_text,
    error_class_for,
    json_objects,
    no_result,
    plain_tail,
    precheck,
    sub_object,
    to_float,
    to_int,
)
from convergio_tui.providers.result import ErrorClass, ProviderResult, failure
from convergio_tui.providers.runner import ProcessOutcome

NAME = "claude"
LIMIT_FLAG = "--max-budget-usd"
BUDGET_SUBTYPE = "error_max_budget_usd"
_INPUT_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_MODEL_INPUT_KEYS = ("inputTokens", "cacheCreationInputTokens", "cacheReadInputTokens")
# The ``error`` code of claude's synthetic API-error message, for an error without an
# HTTP status (no key at all: "Not logged in"); a status, when there is one, decides.
_ERROR_CODES = {
    "authentication_failed": ErrorClass.auth,
    "oauth_org_not_allowed": ErrorClass.auth,
    "account_on_hold": ErrorClass.auth,
    "verification_required": ErrorClass.auth,
    "billing_error": ErrorClass.auth,
    "cloud_credential_error": ErrorClass.auth,
    "rate_limit": ErrorClass.rate_limit,
    "overloaded": ErrorClass.rate_limit,
    "model_not_found": ErrorClass.model_not_found,
}
_ROOT_REFUSAL = "cannot be used with root/sudo privileges"
ROOT_MESSAGE = (
    "claude refuses --permission-mode bypassPermissions as root outside a sandbox: keep "
    "`sandbox: {mode: auto}` (Convergio then tells claude it runs sandboxed) or run "
    "Convergio as a user other than root"
)
NOT_INSTALLED = (
    "claude is not installed (not on PATH): install it with "
    "`npm install -g @anthropic-ai/claude-code`, or fix providers.claude.cli"
)
# bubblewrap's words when the command it should start does not exist.
_NOT_FOUND = re.compile(r"execvp \S*claude\S*: No such file or directory")
DEFAULT_TEMPLATE = [
    "claude",
    "-p",
    "--output-format",
    "stream-json",
    "--verbose",
    "--model",
    "{model}",
    "--permission-mode",
    "bypassPermissions",
    "--max-turns",
    "30",
]


def build_invocation(
    template: list[str], prompt: str, model: str, workdir: Path, limit: float | None = None
) -> Invocation:
    """Fill the template; without ``{prompt}`` in it the prompt is piped on stdin.
    ``limit``: the run's hard limit in USD, appended as ``--max-budget-usd``."""
    argv = substitute(template, prompt, model, workdir)
    if limit is not None:
        argv += [LIMIT_FLAG, f"{limit:.4f}"]
    stdin_text = None if has_placeholder(template, "prompt") else prompt
    return Invocation(argv=argv, stdin_text=stdin_text, env={})


def _assistant_texts(events: list[dict[str, Any]]) -> list[str]:
    texts: list[str] = []
    for event in events:
        if event.get("type") != "assistant":
            continue
        message = event.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        for item in content if isinstance(content, list) else []:
            if isinstance(item, dict) and item.get("type") == "text":
                texts.append(str(item.get("text", "")))
    return texts


def _session_id(events: list[dict[str, Any]]) -> str | None:
    for event in reversed(events):
        if event.get("session_id"):
            return str(event["session_id"])
    return None


def _tokens(result: dict[str, Any]) -> tuple[int, int]:
    """Input (with cache) and output tokens. ``modelUsage`` is what ``total_cost_usd``
    adds up, and the only place a run stopped by ``--max-budget-usd`` reports its tokens
    (its top-level ``usage`` is 0); the top-level ``usage`` when it holds none."""
    models = result.get("modelUsage")
    entries = (
        [m for m in models.values() if isinstance(m, dict)] if isinstance(models, dict) else []
    )
    model_in = sum(to_int(m.get(k)) for m in entries for k in _MODEL_INPUT_KEYS)
    model_out = sum(to_int(m.get("outputTokens")) for m in entries)
    if model_in or model_out:
        return model_in, model_out
    usage = sub_object(result, "usage")
    return sum(to_int(usage.get(k)) for k in _INPUT_KEYS), to_int(usage.get("output_tokens"))


def _api_error(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The synthetic assistant message that carries an API error's code (``error``),
    HTTP status and type; empty when there is none."""
    for event in reversed(events):
        if event.get("type") == "assistant" and event.get("is_api_error_message"):
            return event
    return {}


def _not_started(outcome: ProcessOutcome) -> ProviderResult | None:
    """The CLI missing, or refusing to start (as root outside a sandbox): said plainly."""
    if outcome.spawn_error is not None and "No such file" in outcome.spawn_error:
        return failure(ErrorClass.failed, NOT_INSTALLED)
    if outcome.stdout_lines:  # it started: its own output says what happened
        return None
    stderr = plain_tail(outcome.stderr_lines)
    if _ROOT_REFUSAL in stderr:
        return failure(ErrorClass.auth, ROOT_MESSAGE)
    if _NOT_FOUND.search(stderr):
        return failure(ErrorClass.failed, NOT_INSTALLED)
    return None


def _message(result: dict[str, Any], api: dict[str, Any], text: str) -> str:
    """``claude <reason> (HTTP <status> <type>): <what it said>``."""
    reason = result.get("terminal_reason") or result.get("subtype") or "error"
    status = result.get("api_error_status") or api.get("api_error_status")
    kind = result.get("api_error_type") or api.get("api_error_type")
    http = " ".join(str(part) for part in (status, kind) if part)
    errors = result.get("errors")
    said = "; ".join(str(e) for e in errors) if isinstance(errors, list) and errors else text
    return f"claude {reason}" + (f" (HTTP {http})" if http else "") + f": {said}"


def parse(outcome: ProcessOutcome) -> ProviderResult:
    """Read the final ``result`` event: tokens, ``total_cost_usd``, and the verdict."""
    early = _not_started(outcome) or precheck(outcome, NAME)
    if early is not None:
        return early
    events = json_objects(outcome.stdout_lines)
    results = [e for e in events if e.get("type") == "result"]
    texts = _assistant_texts(events)
    if not results:
        return no_result(outcome, NAME, text=texts[-1] if texts else "")
    result = results[-1]
    input_tokens, output_tokens = _tokens(result)
    cost = to_float(result.get("total_cost_usd"))
    text = result.get("result")
    text = str(text) if text is not None else "\n".join(texts)
    session = str(result.get("session_id") or "") or _session_id(events)
    done = ProviderResult.succeeded(
        cap_text(text),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost,
        session_id=session,
    )
    is_error = bool(result.get("is_error")) or result.get("subtype") != "success"
    if not is_error and outcome.exit_code == 0:
        return done
    if result.get("subtype") == BUDGET_SUBTYPE:
        # Stopped by its own hard limit: the work is unfinished, the provider is fine; the
        # tokens and cost are those of the calls made, charged like any run's.
        spent = f"${cost:.4f}" if cost is not None else "its budget"
        errors = result.get("errors")
        extra = "; ".join(str(e) for e in errors) if isinstance(errors, list) else ""
        message = f"claude stopped at its spending limit ({LIMIT_FLAG}) after {spent}"
        return done.as_failure(ErrorClass.spending_limit, message + (f": {extra}" if extra else ""))
    api = _api_error(events)
    detail = text if is_error else f"exit code {outcome.exit_code} despite a success result"
    stderr = plain_tail(outcome.stderr_lines)
    message = _message(result, api, detail) + (f"\n{stderr}" if stderr else "")
    status = result.get("api_error_status") or api.get("api_error_status")
    code_class = _ERROR_CODES.get(str(api.get("error") or ""))
    classify = "\n".join(part for part in (detail, stderr) if part)
    if status is None and code_class is not None:
        return done.as_failure(code_class, message)
    return done.as_failure(error_class_for(outcome, classify, status=status), message)


# -- the dashboard's view of one stream-json line --------------------------------------


def _describe_content(content: object) -> str | None:
    """Assistant text and tool calls, and tool results, of one message's content."""
    if isinstance(content, str):
        return describe.words(content)
    lines: list[str] = []
    for item in content if isinstance(content, list) else []:
        kind = describe.dig(item, "type")
        if kind == "text" and (text := describe.words(item.get("text"))):
            lines.append(text)
        elif kind == "tool_use":
            lines.append(describe.tool_line(item.get("name"), item.get("input")))
        elif kind == "tool_result":
            lines.append(describe.tool_result_line(not item.get("is_error"), _result_text(item)))
    return "\n".join(lines) or None


def _result_text(item: dict[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        return " ".join(str(describe.dig(c, "text") or "") for c in content)
    return str(content or "")


def _describe_result(event: dict[str, Any]) -> str:
    if not event.get("is_error") and event.get("subtype") == "success":
        input_tokens, output_tokens = _tokens(event)
        return describe.done_line(input_tokens, output_tokens, event.get("total_cost_usd"))
    reason = event.get("terminal_reason") or event.get("subtype")
    status = event.get("api_error_status")
    errors = event.get("errors")
    detail = event.get("result") or (
        "; ".join(map(str, errors)) if isinstance(errors, list) else ""
    )
    return describe.failure_line(detail, status=status, reason=reason)


def _describe_system(event: dict[str, Any]) -> str | None:
    subtype = event.get("subtype")
    if subtype == "init":
        return describe.started_line(event.get("model"))
    if subtype == "api_retry":
        attempt, most = event.get("attempt"), event.get("max_retries")
        status = event.get("error_status")
        return (
            "↻ retrying the API call"
            + (f" ({attempt}/{most})" if attempt and most else "")
            + (f" after {status}" if status else "")
        )
    return None


def _describe_rate_limit(event: dict[str, Any]) -> str | None:
    status = describe.dig(event, "rate_limit_info", "status")
    kind = describe.dig(event, "rate_limit_info", "rateLimitType")
    if status == "rejected":
        return f"{describe.FAILED} rate limited" + (f" ({kind})" if kind else "")
    if status == "allowed_warning":
        return "⚠ close to the rate limit" + (f" ({kind})" if kind else "")
    return None


def describe_line(line: str) -> str | None:
    """One line of Claude's output as a person reads it; None for lines worth nothing."""
    event, text = describe.parse_event(line)
    if event is None:
        return text
    kind = event.get("type")
    content = describe.dig(event, "message", "content")
    if kind == "assistant" or (kind == "user" and isinstance(content, list)):
        return _describe_content(content)  # a user line with a list carries tool results
    if kind == "result":
        return _describe_result(event)
    if kind == "system":
        return _describe_system(event)
    if kind == "rate_limit_event":
        return _describe_rate_limit(event)
    return None
