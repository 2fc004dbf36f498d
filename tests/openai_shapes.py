"""The output of the CLIs that talk OpenAI chat completions to the stand-in (copilot,
opencode), reduced to its shape, and the recordings of the real CLIs.

The contract suites (``tests/contract/test_contract_copilot.py``, ``..._opencode.py``)
run the pinned real CLI and keep, per case, ``tests/contract/recordings/<cli>/<case>.json``:
the exit code, the stdout events and the stderr lines with the values that change from run
to run (ids, times, paths, ports) replaced, plus their *shape*. The fast tests
``tests/test_sim_shapes_<cli>.py`` compare the simulated CLI's shape with these.

A shape has the exit code; ``events``: the sequence of the events the worker and the
dashboard read (:data:`READ`), each as its type and sorted key sets (see
:func:`event_shape`), repeats in a row once (a reply may take any number of turns); and
``types``: every event type seen, as a set (order-insensitive: a CLI emits some of its
bookkeeping events in parallel).
"""

from __future__ import annotations

import json
import re
from typing import Any

import recordings

from convergio_tui.providers.parsing import json_objects

RECORDINGS = recordings.ROOT
# The events each worker (and the dashboard's describer) reads.
_COPILOT_READ = ("assistant.message", "tool.execution_start", "tool.execution_complete",
                 "session.error", "result")  # fmt: skip
READ: dict[str, frozenset[str]] = {
    "copilot": frozenset(_COPILOT_READ),
    "opencode": frozenset({"step_start", "text", "tool_use", "step_finish", "error"}),
}

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_OPENCODE_ID = re.compile(r"\b(ses|msg|prt|err|call)_[0-9A-Za-z]{8,}")
_HEX = re.compile(r"\b[0-9a-f]{40}\b")  # opencode's snapshot hashes
_WAIT = re.compile(r"wait time: [\d.]+ seconds")
# Values that vary with the machine's load or the clock; their presence is the shape.
_VOLATILE_KEYS = re.compile(r"(?:Ms|_ms|timestamp|start|end|date|Bytes|created)$", re.I)


# The same reading as the provider adapters': every line that parses as a JSON object.
events = json_objects


def _keys(value: object) -> list[str] | None:
    return sorted(value) if isinstance(value, dict) else None


def event_shape(cli: str, event: dict[str, Any]) -> dict[str, Any]:
    """One event's shape: its type, its keys and the keys of the parts its worker reads."""
    shape: dict[str, Any] = {"type": event.get("type"), "keys": sorted(event)}
    if cli == "copilot":
        shape["data"] = _keys(event.get("data"))
        if event.get("type") == "result":
            shape["usage"] = _keys(event.get("usage"))
        return shape
    part = event.get("part")
    if isinstance(part, dict):
        shape["part"] = sorted(part)
        shape["part_type"] = part.get("type")
        if isinstance(part.get("tokens"), dict):
            shape["tokens"] = sorted(part["tokens"])
        if isinstance(part.get("state"), dict):
            shape["state"] = sorted(part["state"])
    error = event.get("error")
    if isinstance(error, dict):
        shape["error"] = error.get("name")
        shape["error_data"] = _keys(error.get("data"))
    return shape


def shape(cli: str, exit_code: int | None, stdout_lines: list[str] | tuple[str, ...]) -> dict[str, Any]:  # fmt: skip
    """A run's shape (see the module docstring)."""
    found = events(stdout_lines)
    read: list[dict[str, Any]] = []
    for event in found:
        if event.get("type") not in READ[cli]:
            continue
        one = event_shape(cli, event)
        if not read or read[-1] != one:
            read.append(one)
    types = sorted({str(e.get("type")) for e in found})
    return {"exit_code": exit_code, "events": read, "types": types}


def scrub_text(text: str, replacements: dict[str, str]) -> str:
    """``text`` with paths, ids, times and ports replaced by placeholders."""
    for old, new in sorted(replacements.items(), key=lambda kv: -len(kv[0])):
        if old:
            text = text.replace(old, new)
    text = _UUID.sub("<uuid>", text)
    text = _TIME.sub("<time>", text)
    text = _OPENCODE_ID.sub(lambda m: f"{m.group(1)}_<id>", text)
    text = _HEX.sub("<hash>", text)
    text = _WAIT.sub("wait time: <n> seconds", text)
    return _PORT.sub("127.0.0.1:<port>", text)


def scrub(value: Any, replacements: dict[str, str], key: str = "") -> Any:
    """``value`` with run-specific values replaced, so a recording changes only when the
    CLI's output does."""
    if isinstance(value, dict):
        return {k: scrub(v, replacements, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, replacements, key) for v in value]
    if isinstance(value, str):
        return scrub_text(value, replacements)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return 0 if number and _VOLATILE_KEYS.search(key) else value


def recording(cli: str, case: str, exit_code: int | None, stdout_lines: list[str] | tuple[str, ...],
              stderr_lines: list[str] | tuple[str, ...], requests: list[dict[str, Any]],
              replacements: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """What is saved for one case: the shape first, then the scrubbed output."""
    return {
        "case": case,
        "shape": shape(cli, exit_code, stdout_lines),
        "exit_code": exit_code,
        "stdout": [scrub(e, replacements) for e in events(stdout_lines)],
        "stdout_plain": [scrub_text(line, replacements) for line in stdout_lines
                         if line.strip() and not line.lstrip().startswith("{")],
        "stderr": [scrub_text(line, replacements)[:2000] for line in stderr_lines if line.strip()],
        "requests": requests,
    }  # fmt: skip


def load(cli: str, case: str) -> dict[str, Any]:
    """The stored recording of ``case``."""
    return recordings.load(RECORDINGS / cli, case)


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What differs between two shapes, one line each (empty: the same)."""
    lines: list[str] = []
    if expected["exit_code"] != actual["exit_code"]:
        lines.append(f"exit code {expected['exit_code']} -> {actual['exit_code']}")
    gone = sorted(set(expected["types"]) - set(actual["types"]))
    added = sorted(set(actual["types"]) - set(expected["types"]))
    if gone or added:
        lines.append(f"event types: -{gone} +{added}")
    want, got = expected["events"], actual["events"]
    if [e["type"] for e in want] != [e["type"] for e in got]:
        lines.append(f"events read {[e['type'] for e in want]} -> {[e['type'] for e in got]}")
        return lines
    for index, (old, new) in enumerate(zip(want, got, strict=True)):
        for part in sorted(set(old) | set(new)):
            a, b = old.get(part), new.get(part)
            if a == b:
                continue
            if isinstance(a, list) and isinstance(b, list):
                lines.append(f"event {index} ({old['type']}) {part}: "
                             f"-{sorted(set(a) - set(b))} +{sorted(set(b) - set(a))}")  # fmt: skip
            else:
                lines.append(f"event {index} ({old['type']}) {part}: {a!r} -> {b!r}")
    return lines


def recorded_types(cli: str) -> set[str]:
    """Every event type the real CLI printed in any recorded case."""
    found: set[str] = set()
    for path in sorted((RECORDINGS / cli).glob("*.json")):
        found |= set(json.loads(path.read_text(encoding="utf-8"))["shape"]["types"])
    return found


def sim_differences(cli: str, recorded: dict[str, Any], sim: dict[str, Any]) -> list[str]:
    """How a simulated run's shape departs from the real CLI's recording of the same case.

    The exit code must match; every event the worker reads must have a recorded twin of
    the same type with the same keys; the run must end with the same events (the last
    one, and the error event before it). A successful case must read the same sequence; a
    failed one may show some progress before its failure (the real run failed at its
    first model call, a simulated one may fail later)."""
    lines: list[str] = []
    if recorded["exit_code"] != sim["exit_code"]:
        lines.append(f"exit code: real {recorded['exit_code']}, sim {sim['exit_code']}")
    real_events, sim_events = recorded["events"], sim["events"]
    for event in sim_events:
        twins = [e for e in real_events if e["type"] == event["type"]
                 and e.get("part_type") == event.get("part_type")]  # fmt: skip
        if twins and event not in twins:
            lines.append(f"{event['type']}: real {twins[0]}, sim {event}")
        elif not twins and recorded["exit_code"] == 0:
            lines.append(f"{event['type']}: the real CLI printed none in this case")
    if recorded["exit_code"] == 0:
        if [e["type"] for e in real_events] != [e["type"] for e in sim_events]:
            lines.append(f"events: real {[e['type'] for e in real_events]}, "
                         f"sim {[e['type'] for e in sim_events]}")  # fmt: skip
    elif _tail(real_events) != _tail(sim_events):
        lines.append(f"the end: real {_tail(real_events)}, sim {_tail(sim_events)}")
    return lines


def _tail(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events from the last error on (all of them when there is no error)."""
    errors = [i for i, e in enumerate(found) if str(e["type"]).endswith("error")]
    return found[errors[-1] :] if errors else found
