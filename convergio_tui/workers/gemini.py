"""Gemini CLI: argv builder and ``stream-json`` (or ``json``) parser.

Success needs a ``result`` event with ``status: "success"`` (or, with ``-o json``, an
object with ``response`` and no ``error``) and exit 0. Fatal errors arrive as JSON on
stderr; exit 41 is authentication, 173 (429 leaking into the exit code) a quota error.
Tokens are summed over ``stats.models.<m>.tokens``; the CLI reports no cost.
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
    to_int,
)
from convergio_tui.workers.result import ErrorClass, WorkerResult
from convergio_tui.workers.runner import ProcessOutcome

NAME = "gemini"
DEFAULT_TEMPLATE = [
    "gemini",
    "-p",
    "{prompt}",
    "-m",
    "{model}",
    "-o",
    "stream-json",
    "--approval-mode=yolo",
]
_EXIT_CLASSES = {41: ErrorClass.auth, 173: ErrorClass.rate_limit}
_EXIT_MEANINGS = {
    42: "input error",
    52: "configuration error",
    53: "turn limit reached",
    54: "tool error",
    55: "untrusted folder",
    130: "cancelled",
}


def build_invocation(template: list[str], prompt: str, model: str, workdir: Path) -> Invocation:
    """Fill the template; the sandbox is turned off explicitly (GEMINI_SANDBOX=false)."""
    argv = substitute(template, prompt, model, workdir)
    return Invocation(argv=argv, stdin_text=None, env={"GEMINI_SANDBOX": "false"})


def _tokens(stats: dict[str, Any]) -> tuple[int, int]:
    """(input, output) summed over ``stats.models``; falls back to the flat totals."""
    models = stats.get("models")
    if isinstance(models, dict) and models:
        input_tokens = output_tokens = 0
        for entry in models.values():
            tokens = entry.get("tokens") if isinstance(entry, dict) else None
            if isinstance(tokens, dict):
                input_tokens += to_int(tokens.get("prompt"))
                output_tokens += to_int(tokens.get("candidates")) + to_int(tokens.get("thoughts"))
        return input_tokens, output_tokens
    return to_int(stats.get("input_tokens")), to_int(stats.get("output_tokens"))


def _error_texts(events: list[dict[str, Any]], stderr_objects: list[dict[str, Any]]) -> list[str]:
    texts: list[str] = []
    for event in events + stderr_objects:
        error = event.get("error")
        if event.get("type") == "error":
            texts.append(str(event.get("message", "")))
        elif isinstance(error, dict):
            texts.append(f"{error.get('type', 'Error')}: {error.get('message', '')}")
    return list(dict.fromkeys(t for t in texts if t.strip()))  # once each, in order


def parse(outcome: ProcessOutcome) -> WorkerResult:
    """Read the ``result`` event (or the json object), its stats, and stderr errors."""
    early = precheck(outcome, NAME)
    if early is not None:
        return early
    events = json_objects(outcome.stdout_lines)
    stderr_objects = json_objects(outcome.stderr_lines)
    texts = [
        str(e.get("content", ""))
        for e in events
        if e.get("type") == "message" and e.get("role") == "assistant"
    ]
    final = [e for e in events if e.get("type") == "result" or "response" in e]
    text = "".join(texts).strip()
    if final and "response" in final[-1] and not text:
        text = str(final[-1].get("response") or "")
    errors = _error_texts(events, stderr_objects)
    if not final and not errors and outcome.exit_code not in _EXIT_CLASSES:
        return no_result(outcome, NAME, text=text)
    result = final[-1] if final else {}
    stats = result.get("stats") if isinstance(result.get("stats"), dict) else {}
    input_tokens, output_tokens = _tokens(stats)
    session = result.get("session_id") or next(
        (e.get("session_id") for e in events if e.get("type") == "init"), None
    )
    done = WorkerResult.succeeded(
        cap_text(text),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        session_id=str(session) if session else None,
    )
    ok = result.get("status") == "success" or ("response" in result and "error" not in result)
    if ok and outcome.exit_code == 0:
        return done
    stderr = plain_tail(outcome.stderr_lines)
    detail = "\n".join(errors + ([stderr] if stderr else []))
    meaning = _EXIT_MEANINGS.get(outcome.exit_code or 0)
    if not detail:
        detail = meaning or f"exit code {outcome.exit_code}"
    klass = _EXIT_CLASSES.get(outcome.exit_code or 0) or error_class_for(outcome, detail)
    return done.as_failure(klass, f"gemini failed (exit code {outcome.exit_code}): {detail}")


# -- the dashboard's view of one stream-json line --------------------------------------


def _describe_result(event: dict[str, Any]) -> str:
    stats = event.get("stats") if isinstance(event.get("stats"), dict) else {}
    if event.get("status") == "success":
        return describe.done_line(*_tokens(stats))
    error = event.get("error")
    return _describe_error(error if isinstance(error, dict) else {"message": error})


def _describe_error(error: dict[str, Any]) -> str:
    """A fatal error object (``{"type", "message", "code"}``) as one failure line."""
    code = error.get("code")
    status = code if isinstance(code, int) and 400 <= code < 600 else None
    return describe.failure_line(error.get("message"), status=status, reason=error.get("type"))


def _describe_response(event: dict[str, Any]) -> str:
    stats = event.get("stats") if isinstance(event.get("stats"), dict) else {}
    answer = describe.words(event.get("response"))
    return "\n".join(filter(None, [answer, describe.done_line(*_tokens(stats))]))


def describe_line(line: str) -> str | None:
    """One line of Gemini's output as a person reads it; None for lines worth nothing.

    Assistant text arrives as deltas: each shows as it comes, an empty one not at all.
    A fatal error is a JSON object on stderr and reads as a failure line.
    """
    event, text = describe.parse_event(line)
    if event is None:
        return text
    kind = event.get("type")
    if kind == "message":
        return describe.words(event.get("content")) if event.get("role") == "assistant" else None
    if kind == "tool_use":
        return describe.tool_line(event.get("tool_name"), event.get("parameters"))
    if kind == "tool_result":
        detail = describe.dig(event, "error", "message") or event.get("output")
        return describe.tool_result_line(event.get("status") == "success", detail)
    if kind == "init":
        return describe.started_line(event.get("model"))
    if kind == "result":
        return _describe_result(event)
    if kind == "error":
        mark = "⚠" if event.get("severity") == "warning" else describe.FAILED
        return f"{mark} {describe.cut(str(event.get('message', 'error')))}"
    if isinstance(event.get("error"), dict):
        return _describe_error(event["error"])
    if "response" in event:  # -o json: the whole answer and the stats in one object
        return _describe_response(event)
    return None
