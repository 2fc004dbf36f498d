"""Claude Code's output reduced to its shape, and the recordings of the real CLI.

The contract suite (``tests/contract/test_contract_claude.py``) runs the pinned real
``claude`` against the stand-in and keeps, per case, a recording under
``tests/contract/recordings/claude/<case>.json``: the exit code, the stdout events and the
stderr lines with the values that change from run to run (ids, times, paths, ports)
replaced, plus their *shape*. ``tests/test_sim_shapes_claude.py`` compares the simulated
claude's shape with these, so the fast tests and the demo stay true to the real CLI.

A shape is, per event: its ``type`` and ``subtype``, its sorted keys, and the keys of the
parts the worker reads (``message``; a result's ``usage`` and one ``modelUsage`` entry).
Repeats of the same event shape in a row count once (a reply can take any number of turns).
"""

from __future__ import annotations

import re
from typing import Any

import recordings

from convergio_tui.providers.parsing import json_objects

RECORDINGS = recordings.ROOT / "claude"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_PID_SOCKET = re.compile(r"/cc-socks/\d+\.sock")
# Durations and delays vary with the machine's load; their presence is the shape.
_VOLATILE_NUMBERS = re.compile(r"(?:_ms|Ms)$")


# The same reading as the provider adapters': every line that parses as a JSON object.
events = json_objects


def _sorted_keys(value: object) -> list[str] | None:
    return sorted(value) if isinstance(value, dict) else None


def event_shape(event: dict[str, Any]) -> dict[str, Any]:
    """One event's shape (see the module docstring)."""
    shape: dict[str, Any] = {"type": event.get("type"), "keys": sorted(event)}
    if "subtype" in event:
        shape["subtype"] = event["subtype"]
    if (message := _sorted_keys(event.get("message"))) is not None:
        shape["message"] = message
    if event.get("type") == "result":
        shape["usage"] = _sorted_keys(event.get("usage"))
        models = event.get("modelUsage")
        first = next(iter(models.values()), None) if isinstance(models, dict) else None
        shape["modelUsage"] = _sorted_keys(first)
    return shape


def shape(exit_code: int | None, stdout_lines: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """A run's shape: its exit code and its events' shapes, repeats in a row once."""
    shapes: list[dict[str, Any]] = []
    for event in events(stdout_lines):
        one = event_shape(event)
        if not shapes or shapes[-1] != one:
            shapes.append(one)
    return {"exit_code": exit_code, "events": shapes}


def _scrub_text(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        if old:
            text = text.replace(old, new)
    text = _UUID.sub("<uuid>", text)
    text = _TIME.sub("<time>", text)
    text = _PID_SOCKET.sub("/cc-socks/<pid>.sock", text)
    return _PORT.sub("127.0.0.1:<port>", text)


def scrub(value: Any, replacements: dict[str, str], key: str = "") -> Any:
    """``value`` with run-specific values replaced, so a recording only changes when the
    CLI's output does. ``replacements``: literal text (the worktree, home) -> placeholder."""
    if isinstance(value, dict):
        return {k: scrub(v, replacements, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, replacements, key) for v in value]
    if isinstance(value, str):
        return _scrub_text(value, replacements)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return 0 if number and _VOLATILE_NUMBERS.search(key) else value


def recording(case: str, exit_code: int | None, stdout_lines: list[str] | tuple[str, ...],
              stderr_lines: list[str] | tuple[str, ...], requests: list[dict[str, Any]],
              replacements: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """What is saved for one case: the shape first, then the scrubbed output."""
    return {
        "case": case,
        "shape": shape(exit_code, stdout_lines),
        "exit_code": exit_code,
        "stdout": [scrub(e, replacements) for e in events(stdout_lines)],
        "stdout_plain": [_scrub_text(line, replacements) for line in stdout_lines
                         if line.strip() and not line.lstrip().startswith("{")],
        "stderr": [_scrub_text(line, replacements) for line in stderr_lines if line.strip()],
        "requests": requests,
    }  # fmt: skip


def load(case: str) -> dict[str, Any]:
    """The stored recording of ``case``."""
    return recordings.load(RECORDINGS, case)


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What differs between two shapes, one line each (empty: the same)."""
    lines: list[str] = []
    if expected["exit_code"] != actual["exit_code"]:
        lines.append(f"exit code {expected['exit_code']} -> {actual['exit_code']}")
    want, got = expected["events"], actual["events"]
    if [(e["type"], e.get("subtype")) for e in want] != [
        (e["type"], e.get("subtype")) for e in got
    ]:
        kinds = lambda s: [f"{e['type']}/{e.get('subtype', '-')}" for e in s]  # noqa: E731
        lines.append(f"events {kinds(want)} -> {kinds(got)}")
        return lines
    for index, (old, new) in enumerate(zip(want, got, strict=True)):
        for part in sorted(set(old) | set(new)):
            a, b = old.get(part), new.get(part)
            if a == b:
                continue
            if isinstance(a, list) and isinstance(b, list):
                gone, added = sorted(set(a) - set(b)), sorted(set(b) - set(a))
                lines.append(f"event {index} ({old['type']}) {part}: -{gone} +{added}")
            else:
                lines.append(f"event {index} ({old['type']}) {part}: {a!r} -> {b!r}")
    return lines
