"""Gemini CLI's output reduced to its shape, and the recordings of the real CLI.

The contract suite (``tests/contract/test_contract_gemini.py``) runs the pinned real
``gemini`` against the stand-in and keeps, per case, a recording under
``tests/contract/recordings/gemini/<case>.json``: the exit code, the JSON documents of
stdout and stderr and the plain stderr lines, with what changes from run to run (ids,
times, paths, ports, durations, stack frames) replaced, plus their *shape*.
``tests/test_sim_shapes_gemini.py`` compares the simulated gemini's shape with these.

A shape is, per document: its ``type`` (``document`` for json's untyped one), the
message ``role``, the result ``status``, its sorted keys, and the keys of the parts the
worker reads (``stats``, one ``stats.models`` entry and its ``tokens``, ``error``).
Repeats of the same shape in a row count once (a reply can take any number of deltas).
stdout's and stderr's documents are shaped apart: ``-o json`` prints a fatal error on
stderr.
"""

from __future__ import annotations

import json
import re
from typing import Any

import recordings

RECORDINGS = recordings.ROOT / "gemini"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d[:-]\d\d[:-]\d\d(?:[.-]\d+)?Z")
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_TOOL_ID = re.compile(r"(write_file|\w+)_\d{10,}_\d+")
_FRAME = re.compile(r"^\s+at ")
# Lines whose presence depends on timing, not on the case.
_FLAKY = re.compile(r"^\[STARTUP\]")
LONG_TEXT = 1000  # characters of one string kept in a recording (a 60 KB prompt is cut)
# Durations and latencies vary with the machine's load; their presence is the shape.
_VOLATILE_NUMBERS = re.compile(r"(?:_ms|Ms)$")


def documents(lines: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    """The JSON objects in ``lines``: one per line, or one pretty-printed over the lines
    from a lone ``{`` to the line that completes it. (Read here, not with the worker's
    reader, so a fault in the worker cannot hide in the recordings.)"""
    found: list[dict[str, Any]] = []
    pending: list[str] = []
    for line in lines:
        if pending or line.rstrip() == "{":
            pending.append(line)
            try:
                value = json.loads("\n".join(pending))
            except ValueError:
                continue
            pending = []
        elif line.lstrip().startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
        else:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def _keys(value: object) -> list[str] | None:
    return sorted(value) if isinstance(value, dict) else None


def doc_shape(doc: dict[str, Any]) -> dict[str, Any]:
    """One document's shape (see the module docstring)."""
    shape: dict[str, Any] = {"type": doc.get("type", "document"), "keys": sorted(doc)}
    for field in ("role", "status"):
        if field in doc:
            shape[field] = doc[field]
    stats = doc.get("stats")
    if isinstance(stats, dict):
        shape["stats"] = sorted(stats)
        models = stats.get("models")
        first = next(iter(models.values()), None) if isinstance(models, dict) else None
        shape["model"] = _keys(first)
        if isinstance(first, dict) and isinstance(first.get("tokens"), dict):
            shape["tokens"] = sorted(first["tokens"])
    if (error := _keys(doc.get("error"))) is not None:
        shape["error"] = error
    return shape


def _shapes(lines: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    shapes: list[dict[str, Any]] = []
    for doc in documents(list(lines)):
        one = doc_shape(doc)
        if not shapes or shapes[-1] != one:
            shapes.append(one)
    return shapes


def shape(exit_code: int | None, stdout_lines: list[str] | tuple[str, ...],
          stderr_lines: list[str] | tuple[str, ...]) -> dict[str, Any]:  # fmt: skip
    """A run's shape: its exit code and its documents' shapes, repeats in a row once."""
    return {
        "exit_code": exit_code,
        "events": _shapes(stdout_lines),
        "stderr_documents": _shapes(stderr_lines),
    }


def _scrub_text(text: str, replacements: dict[str, str]) -> str:
    for old, new in sorted(replacements.items(), key=lambda kv: -len(kv[0])):
        if old:
            text = text.replace(old, new)
    text = _UUID.sub("<uuid>", text)
    text = _TIME.sub("<time>", text)
    text = _TOOL_ID.sub(r"\1_<id>", text)
    return _PORT.sub("127.0.0.1:<port>", text)


def scrub(value: Any, replacements: dict[str, str], key: str = "") -> Any:
    """``value`` with run-specific values replaced, so a recording only changes when the
    CLI's output does. ``replacements``: literal text (the worktree, home) -> placeholder."""
    if isinstance(value, dict):
        return {k: scrub(v, replacements, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, replacements, key) for v in value]
    if isinstance(value, str):
        text = _scrub_text(value, replacements)
        if len(text) > LONG_TEXT:
            return f"{text[:200]}…(+{len(text) - 200} characters)"
        return text
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return 0 if number and _VOLATILE_NUMBERS.search(key) else value


def plain_stderr(lines: list[str] | tuple[str, ...], replacements: dict[str, str]) -> list[str]:
    """stderr's plain lines, scrubbed: each run of stack frames as one ``at …`` line, the
    lines of a pretty-printed document left to ``documents``."""
    kept: list[str] = []
    depth = 0
    for line in lines:
        if line.rstrip() == "{" and depth == 0:
            depth = 1
            continue
        if depth:
            depth = 0 if line.rstrip() == "}" else depth
            continue
        if not line.strip() or _FLAKY.search(line):
            continue
        if _FRAME.search(line):
            if not kept or kept[-1] != "    at …":
                kept.append("    at …")
            continue
        kept.append(_scrub_text(line, replacements))
    return kept


def recording(case: str, exit_code: int | None, stdout_lines: list[str] | tuple[str, ...],
              stderr_lines: list[str] | tuple[str, ...], requests: list[dict[str, Any]],
              replacements: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """What is saved for one case: the shape first, then the scrubbed output."""
    return {
        "case": case,
        "shape": shape(exit_code, stdout_lines, stderr_lines),
        "exit_code": exit_code,
        "stdout": [scrub(d, replacements) for d in documents(list(stdout_lines))],
        "stderr_documents": [scrub(d, replacements) for d in documents(list(stderr_lines))],
        "stderr": plain_stderr(stderr_lines, replacements),
        "requests": requests,
    }


def load(case: str) -> dict[str, Any]:
    """The stored recording of ``case``."""
    return recordings.load(RECORDINGS, case)


def kind(shape: dict[str, Any]) -> str:
    """``message/assistant``, ``result/error``, ``document``: a shape's kind, for messages."""
    return "/".join(str(shape[k]) for k in ("type", "role", "status") if k in shape)


def _compare(name: str, want: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[str]:
    if [kind(s) for s in want] != [kind(s) for s in got]:
        return [f"{name} {[kind(s) for s in want]} -> {[kind(s) for s in got]}"]
    lines: list[str] = []
    for index, (old, new) in enumerate(zip(want, got, strict=True)):
        for part in sorted(set(old) | set(new)):
            a, b = old.get(part), new.get(part)
            if a == b:
                continue
            if isinstance(a, list) and isinstance(b, list):
                gone, added = sorted(set(a) - set(b)), sorted(set(b) - set(a))
                lines.append(f"{name} {index} ({kind(old)}) {part}: -{gone} +{added}")
            else:
                lines.append(f"{name} {index} ({kind(old)}) {part}: {a!r} -> {b!r}")
    return lines


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What differs between two shapes, one line each (empty: the same)."""
    lines: list[str] = []
    if expected["exit_code"] != actual["exit_code"]:
        lines.append(f"exit code {expected['exit_code']} -> {actual['exit_code']}")
    lines += _compare("stdout", expected["events"], actual["events"])
    lines += _compare("stderr", expected["stderr_documents"], actual["stderr_documents"])
    return lines
