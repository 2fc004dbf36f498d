"""Helpers shared by the providers' ``describe_line``: one output line, one human line.

Each provider module turns a line of its CLI's JSON output into what a person watching
the dashboard wants to read: the assistant's words, ``⚙ Write calc/core.py`` for a tool
call, ``↳ ok`` for its result, ``✔ done · …`` or ``✘ rate limited (429)`` at the end.
Everything here is pure and cheap: the dashboard's reader thread calls it per line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from convergio_tui import money as amounts
from convergio_tui.providers.parsing import classify_text, status_class, to_float, to_int
from convergio_tui.providers.result import ErrorClass

LOG_PREFIXES = ("[out] ", "[err] ")
DETAIL_CHARS = 160  # an error or tool result is summed up, not reproduced
TARGET_CHARS = 120  # a tool's argument (a command, a pattern) shown after its name

TOOL = "⚙"
RESULT = "↳"
DONE = "✔"
FAILED = "✘"
STARTED = "▶"

_HTTP_STATUS = re.compile(r"\b([45]\d\d)\b")
_WORKTREES = "/worktrees/"
# Tool arguments worth showing, most telling first; a path is shortened, the rest cut.
_PATH_KEYS = ("file_path", "filePath", "path", "notebook_path", "absolute_path")
_TEXT_KEYS = ("command", "cmd", "pattern", "query", "url", "description", "prompt")
_FAILURE_LABELS = {
    ErrorClass.rate_limit: "rate limited",
    ErrorClass.auth: "authentication failed",
    ErrorClass.model_not_found: "model not found",
}


def strip_prefix(line: str) -> str:
    """The line without the log's ``[out] ``/``[err] `` prefix and line terminator."""
    if line.startswith(LOG_PREFIXES):
        line = line[6:]
    return line.rstrip("\r\n")


def parse_event(line: str) -> tuple[dict[str, Any] | None, str]:
    """``(event, text)``: the line's JSON object (None if it holds none) and its text."""
    text = strip_prefix(line)
    if not text.lstrip().startswith("{"):
        return None, text
    try:
        value = json.loads(text)
    except ValueError:
        return None, text
    return (value if isinstance(value, dict) else None), text


def dig(obj: object, *keys: str) -> Any:
    """``obj[k1][k2]…`` through nested objects; None where one is missing."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def cut(text: str, limit: int = DETAIL_CHARS) -> str:
    """The first line of ``text``, at most ``limit`` characters (marked when cut)."""
    first = text.strip().split("\n", 1)[0].strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


def words(text: object) -> str | None:
    """Assistant text as it should show: trimmed, None when there is none."""
    if not isinstance(text, str):
        return None
    return text.strip("\r\n") or None


def short_path(path: str) -> str:
    """A file path as a person reads it: relative to the task's worktree when in one."""
    at = path.rfind(_WORKTREES)
    if at >= 0:
        inside = path[at + len(_WORKTREES) :].split("/", 2)  # <plan>/<task>/<file>
        if len(inside) == 3 and inside[2]:
            return inside[2]
    parts = path.split("/")
    if path.startswith("/") and len(parts) > 4:
        return "…/" + "/".join(parts[-3:])
    return path


def tool_line(name: object, arguments: object) -> str:
    """``⚙ Write calc/core.py``, ``⚙ bash: pytest -q`` or just ``⚙ name``."""
    label = str(name or "tool")
    args = arguments if isinstance(arguments, dict) else {}
    for key in _PATH_KEYS:
        if isinstance(args.get(key), str) and args[key]:
            return f"{TOOL} {label} {short_path(args[key])}"
    for key in _TEXT_KEYS:
        if isinstance(args.get(key), str) and args[key].strip():
            return f"{TOOL} {label}: {cut(args[key], TARGET_CHARS)}"
    return f"{TOOL} {label}"


def tool_result_line(ok: bool, detail: object = None) -> str:
    """``↳ ok``, or ``↳ error: <first line of the detail>``."""
    if ok:
        return f"{RESULT} ok"
    text = cut(detail) if isinstance(detail, str) and detail.strip() else ""
    return f"{RESULT} error" + (f": {text}" if text else "")


def started_line(model: object) -> str:
    """``▶ session started · model X``."""
    return f"{STARTED} session started" + (f" · model {model}" if model else "")


def money(usd: float) -> str:
    """``$0.07``, ``<$0.01``: written as everywhere else (:func:`convergio_tui.money.usd`)."""
    return amounts.usd(usd)


def done_line(
    input_tokens: object = None,
    output_tokens: object = None,
    cost_usd: object = None,
    *,
    label: str = "done",
    extra: str = "",
) -> str:
    """``✔ done · 1,234 in / 567 out tokens · $0.07`` (parts the CLI did not give left out)."""
    parts = [f"{DONE} {label}"]
    if input_tokens is not None or output_tokens is not None:
        parts.append(f"{to_int(input_tokens):,} in / {to_int(output_tokens):,} out tokens")
    cost = to_float(cost_usd)
    if cost:
        parts.append(money(cost))
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def failure_line(detail: object, *, status: object = None, reason: object = None) -> str:
    """``✘ rate limited (429)``, ``✘ authentication failed (401): …`` or ``✘ reason: …``."""
    text = str(detail or "").strip()
    code = to_int(status) or None
    if code is None and (found := _HTTP_STATUS.search(text)):
        code = int(found.group(1))
    klass = status_class(code) or classify_text(text)
    label = _FAILURE_LABELS.get(klass) if klass else None
    head = f"{FAILED} {label or reason or 'failed'}" + (f" ({code})" if code else "")
    if klass is ErrorClass.rate_limit or not text:
        return head  # a rate limit needs no more words; its detail is an API blob
    return f"{head}: {cut(text)}"
