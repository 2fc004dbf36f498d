"""Claude Code: argv builder and ``stream-json`` parser.

The prompt goes on stdin unless the template places ``{prompt}``. Success needs a
``result`` event with ``is_error`` false: a rate limit can arrive as
``subtype: "success"``, ``is_error: true``, ``api_error_status: 429`` and exit 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from convergio_tui.workers.invocation import Invocation, has_placeholder, substitute
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
from convergio_tui.workers.result import WorkerResult
from convergio_tui.workers.runner import ProcessOutcome

NAME = "claude"
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


def build_invocation(template: list[str], prompt: str, model: str, workdir: Path) -> Invocation:
    """Fill the template; without ``{prompt}`` in it the prompt is piped on stdin."""
    argv = substitute(template, prompt, model, workdir)
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


def parse(outcome: ProcessOutcome) -> WorkerResult:
    """Read the final ``result`` event: tokens, ``total_cost_usd``, and the verdict."""
    early = precheck(outcome, NAME)
    if early is not None:
        return early
    events = json_objects(outcome.stdout_lines)
    results = [e for e in events if e.get("type") == "result"]
    texts = _assistant_texts(events)
    if not results:
        return no_result(outcome, NAME, text=texts[-1] if texts else "")
    result = results[-1]
    usage = result.get("usage") if isinstance(result.get("usage"), dict) else {}
    input_tokens = sum(
        to_int(usage.get(key))
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    output_tokens = to_int(usage.get("output_tokens"))
    cost = to_float(result.get("total_cost_usd"))
    text = result.get("result")
    text = str(text) if text is not None else "\n".join(texts)
    session = str(result.get("session_id") or "") or _session_id(events)
    done = WorkerResult.succeeded(
        cap_text(text),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost,
        session_id=session,
    )
    is_error = bool(result.get("is_error")) or result.get("subtype") != "success"
    if not is_error and outcome.exit_code == 0:
        return done
    status = result.get("api_error_status")
    reason = result.get("terminal_reason") or result.get("subtype") or "error"
    detail = text if is_error else f"exit code {outcome.exit_code} despite a success result"
    stderr = plain_tail(outcome.stderr_lines)
    classify = "\n".join(part for part in (detail, stderr) if part)
    message = f"claude {reason}: {detail}" + (f"\n{stderr}" if stderr else "")
    return done.as_failure(error_class_for(outcome, classify, status=status), message)
