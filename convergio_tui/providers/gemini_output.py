"""Reading Gemini CLI 0.61's output: documents, answer text, tokens and its errors. Pure.

- ``-o stream-json``: one JSON event per stdout line (``init``, ``message``,
  ``tool_use``, ``tool_result``, ``error``, ``result``). The ``result`` carries
  ``stats.models.<model>.{input_tokens, output_tokens, total_tokens}``.
- ``-o json``: one document pretty-printed over many lines: on stdout
  (``session_id``, ``response``, ``stats.models.<model>.tokens.{prompt, candidates,
  thoughts}``) or, for a fatal error, on stderr (``error.{type, message, code}``).

An API error reaches us as the HTTP status folded into the exit code (``status & 0xFF``:
400→144, 401→145, 403→147, 429→173, 500→244; a missing model exits 1) and as Google's
error document inside the result's message (``[API Error: {"error": {"code": 401…}}]``).
stderr adds a Node stack trace per attempt: its frames are noise and are dropped so the
telling line stays in the tail a failure message keeps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from convergio_tui.providers.parsing import classify_text, json_objects, status_class, to_int
from convergio_tui.providers.result import ErrorClass

# HTTP statuses as gemini folds them into its exit code (status & 0xFF).
EXIT_STATUSES = {(code & 0xFF): code for code in (400, 401, 403, 404, 429, 500, 502, 503, 504)}
EXIT_CLASSES = {41: ErrorClass.auth}
EXIT_MEANINGS = {
    41: "authentication is not set up (GEMINI_API_KEY, or security.auth.selectedType)",
    42: "input error",
    44: "sandbox error",
    52: "configuration error",
    53: "turn limit reached",
    54: "tool error",
    55: "untrusted folder: run with --skip-trust or GEMINI_CLI_TRUST_WORKSPACE=true",
    130: "cancelled",
}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # the colour of its refusals
_EMBEDDED_CODE = re.compile(r'"code"\s*:\s*([45]\d\d)\b')
_CREDENTIALS = re.compile(
    r"API_KEY_INVALID|API key not valid|API key expired|API_KEY_SERVICE_BLOCKED|"
    r"must specify the GEMINI_API_KEY|Please set an Auth method|Invalid auth method selected",
    re.IGNORECASE,
)
_QUOTA = re.compile(r"Resource has been exhausted|RetryableQuotaError|TerminalQuotaError")
_NO_MODEL = re.compile(r"ModelNotFoundError|is not found for API version|\bcode: 404\b")
# stderr lines that say nothing about the run: Node stack frames, the closing lines of an
# inspected error object, and the CLI's start-up chatter.
_NOISE = re.compile(
    r"^\s+at |^\s*[}\]]\s*$|^\s+\w+: .*[,{]?$|^Warning: 256-color|^YOLO mode is enabled|"
    r"^Ripgrep is not available|^\[STARTUP\]|^Approval mode overridden|^Loaded cached credentials"
)


def documents(lines: Sequence[str]) -> list[dict[str, Any]]:
    """Every JSON object in ``lines``, in order: one per line, or pretty-printed over
    many (a ``{`` line at column 0 up to the ``}`` line that closes it)."""
    found: list[dict[str, Any]] = []
    block: list[str] | None = None
    for line in lines:
        if block is None:
            if line.rstrip() == "{":
                block = [line]
            else:
                found.extend(json_objects([line]))
            continue
        block.append(line)
        if line.rstrip() == "}":
            try:
                value = json.loads("\n".join(block))
            except ValueError:
                value = None
            if isinstance(value, dict):
                found.append(value)
            block = None
    return found


def answer_text(events: Iterable[dict[str, Any]]) -> str:
    """The assistant's words: deltas of one turn joined as they came, the turns around a
    tool call kept apart by a blank line (the CLI prints them back to back)."""
    turns: list[str] = []
    current: list[str] = []
    for event in events:
        kind = event.get("type")
        if kind == "message" and event.get("role") == "assistant":
            current.append(str(event.get("content") or ""))
        elif kind in ("tool_use", "tool_result") and current:
            turns.append("".join(current))
            current = []
    turns.append("".join(current))
    return "\n\n".join(turn.strip() for turn in turns if turn.strip())


def tokens(stats: dict[str, Any]) -> tuple[int, int]:
    """(input, output) tokens summed over ``stats.models``, whichever layout: stream-json's
    ``input_tokens``/``output_tokens`` (thinking counted as output: the part of
    ``total_tokens`` the other two leave out) or json's ``tokens.prompt``/``candidates``
    + ``thoughts``; the flat totals when there is no per-model entry."""
    models = stats.get("models")
    if not isinstance(models, dict) or not models:
        return to_int(stats.get("input_tokens")), to_int(stats.get("output_tokens"))
    input_tokens = output_tokens = 0
    for entry in models.values():
        if not isinstance(entry, dict):
            continue
        nested = entry.get("tokens")
        if isinstance(nested, dict):  # -o json
            input_tokens += to_int(nested.get("prompt"))
            output_tokens += to_int(nested.get("candidates")) + to_int(nested.get("thoughts"))
            continue
        given_in, given_out = to_int(entry.get("input_tokens")), to_int(entry.get("output_tokens"))
        input_tokens += given_in
        output_tokens += max(given_out, to_int(entry.get("total_tokens")) - given_in)
    return input_tokens, output_tokens


def error_texts(stdout_docs: list[dict[str, Any]], stderr_docs: list[dict[str, Any]]) -> list[str]:
    """The errors the CLI reported in JSON (result, error events, json's error document),
    once each, in order."""
    texts: list[str] = []
    for doc in stdout_docs + stderr_docs:
        error = doc.get("error")
        if doc.get("type") == "error" and doc.get("severity") != "warning":
            texts.append(str(doc.get("message", "")))
        elif isinstance(error, dict):
            texts.append(f"{error.get('type', 'Error')}: {error.get('message', '')}")
        elif isinstance(error, str):
            texts.append(error)
    return list(dict.fromkeys(t for t in texts if t.strip()))


def stderr_tail(lines: Iterable[str], count: int = 8) -> str:
    """The last telling lines of stderr: no JSON, no stack frames, no start-up chatter,
    and no usage text after an argument error (the error is the line before it)."""
    lines = list(lines)
    usage = next((i for i, line in enumerate(lines) if line.startswith("Usage: gemini")), None)
    if usage is not None and usage > 0:
        lines = lines[:usage]
    kept = [ANSI.sub("", line) for line in lines]
    kept = [line for line in kept if line.strip() and not line.lstrip().startswith("{")]
    kept = [line for line in kept if not _NOISE.search(line)]
    return "\n".join(kept[-count:])


def http_status(detail: str, exit_code: int | None, reported: object = None) -> int | None:
    """The HTTP status behind a failure: the code the CLI reported, the one in Google's
    error document, else the one folded into the exit code."""
    code = to_int(reported)
    if 400 <= code < 600:
        return code
    found = _EMBEDDED_CODE.search(detail)
    if found:
        return int(found.group(1))
    return EXIT_STATUSES.get(exit_code or 0)


def classify(detail: str, exit_code: int | None, reported: object = None) -> ErrorClass | None:
    """The error class of a gemini failure, None when nothing tells (the caller falls back
    on the shared rules). A bad API key is a 400 to Google but ``auth`` to us, like a
    missing one."""
    if _CREDENTIALS.search(detail):
        return ErrorClass.auth
    if exit_code in EXIT_CLASSES:
        return EXIT_CLASSES[exit_code]
    status = http_status(detail, exit_code, reported)
    if status is not None and (klass := status_class(status)) is not None:
        return klass
    if _NO_MODEL.search(detail):
        return ErrorClass.model_not_found
    if _QUOTA.search(detail):
        return ErrorClass.rate_limit
    return classify_text(detail)


def reported_code(docs: Iterable[dict[str, Any]]) -> object:
    """The ``error.code`` of json's error document (an HTTP status or an exit code)."""
    for doc in docs:
        error = doc.get("error")
        if isinstance(error, dict) and "code" in error:
            return error["code"]
    return None
