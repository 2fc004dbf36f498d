"""Read a dead engine's run log back: did the agent finish, and what did it report?

A run's log (``providers/output_sink.py``) is one line per event: ``[convergio] `` for the
runner's own notes (the command first, ``exit code N after Ts`` last), ``[out] `` and
``[err] `` for the agent's stdout and stderr lines, already redacted, flushed as they
come. After a crash the log is all that is left of the run, so recovery rebuilds from it
the :class:`~convergio_tui.providers.runner.ProcessOutcome` the runner would have returned
and lets the provider's own ``parse()`` read it.

A run counts as **finished** when the log holds the CLI's final result event, or when the
runner noted its exit code and the log is complete (not cut at ``max_output_bytes``); an
unknown exit code then reads as 0 — the CLI's own verdict stands. A run the engine was
killing (stop, cancel) or anything else was cut short: only what the partial stream reported (Claude's per-message ``usage``, OpenCode's
``step_finish`` tokens) is known about its cost. Pure, apart from reading the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convergio_tui.providers.capture import LineBuffer
from convergio_tui.providers.output_sink import PREFIXES
from convergio_tui.providers.parsing import json_objects, to_int
from convergio_tui.providers.runner import ProcessOutcome

_EXIT_NOTE = re.compile(r"^exit code (-?\d+) after ")
_OUT, _ERR, _NOTE = PREFIXES["stdout"], PREFIXES["stderr"], PREFIXES["convergio"]
_HEADER = _NOTE + "$ "


@dataclass(frozen=True)
class LoggedRun:
    """What a run's log says: the rebuilt outcome and how far the run got."""

    outcome: ProcessOutcome
    finished: bool  # the agent ended on its own (exit noted, or its final result logged)
    cancelled: bool  # the engine itself was killing it (stop, cancel): never finished
    started: bool = True  # its command line is logged (written right before the spawn)


def read_lines(path: Path | None) -> list[str]:
    """The log's lines without terminators; none when there is no log."""
    if path is None:
        return []
    try:
        data = path.read_bytes()
    except OSError:
        return []
    return data.decode("utf-8", errors="replace").splitlines()


def _final_result(adapter: str, events: list[dict[str, Any]]) -> bool:
    """The provider's last word is in the stream (see each ``providers/<cli>.py``)."""
    if adapter in ("claude", "copilot"):
        return any(e.get("type") == "result" for e in events)
    if adapter == "gemini":
        return any(e.get("type") == "result" or "response" in e for e in events)
    if adapter == "opencode":
        return any(
            e.get("type") == "step_finish" and _part(e).get("reason") == "stop" for e in events
        )
    return False


def _part(event: dict[str, Any]) -> dict[str, Any]:
    part = event.get("part")
    return part if isinstance(part, dict) else {}


def own_lines(lines: list[str]) -> list[str]:
    """The lines of the log's last run: from its last header (``[convergio] $ command``) on.

    Logs are opened for appending and named by run id, so a file can already hold an
    earlier run's lines (another database under the same home); only what follows the
    last header was written for this run, provided the run started (the header is
    written before the process, and the pid recorded after it).
    """
    starts = [i for i, line in enumerate(lines) if line.startswith(_HEADER)]
    return lines[starts[-1] :] if starts else lines


def rebuild(adapter: str, lines: list[str], pid: int | None) -> LoggedRun:
    """The outcome the runner would have returned, from the log's lines (see the module
    docstring); ``adapter`` is the provider adapter's ``NAME``, ``pid`` the run's pid."""
    buffers = {"stdout": LineBuffer(), "stderr": LineBuffer()}
    exit_code: int | None = None
    timed_out = cancelled = truncated = False
    for line in own_lines(lines):
        if line.startswith(_OUT):
            buffers["stdout"].add(line[len(_OUT) :])
        elif line.startswith(_ERR):
            buffers["stderr"].add(line[len(_ERR) :])
        elif line.startswith(_NOTE):
            note = line[len(_NOTE) :]
            match = _EXIT_NOTE.match(note)
            if match is not None:
                exit_code = int(match.group(1))
            timed_out = timed_out or note.startswith("timed out after ")
            cancelled = cancelled or note.startswith("cancelled: ")
            truncated = truncated or note.startswith("output truncated after ")
    stdout, stderr = buffers["stdout"].lines(), buffers["stderr"].lines()
    final = _final_result(adapter, json_objects(stdout))
    # A log cut at max_output_bytes may have lost the result line: say cut short then.
    finished = not cancelled and (final or (exit_code is not None and not truncated))
    if exit_code is None and finished:
        exit_code = 0  # the CLI reported its end; its exit status died with the engine
    outcome = ProcessOutcome(
        exit_code=exit_code, stdout_lines=stdout, stderr_lines=stderr, timed_out=timed_out,
        cancelled=cancelled, truncated=truncated, pid=pid, duration_s=0.0,
    )  # fmt: skip
    return LoggedRun(outcome, finished, cancelled, any(ln.startswith(_HEADER) for ln in lines))


def partial_usage(adapter: str, stdout_lines: Iterable[str]) -> tuple[int, int]:
    """(input, output) tokens a run cut short had already reported; (0, 0) when its CLI
    reports usage only at the end (copilot, gemini).

    Claude prints one ``assistant`` event per content block, each repeating its API
    message's ``usage``: counted once per message id. OpenCode reports each finished
    step's tokens. Both are lower bounds of what the cut-short run spent.
    """
    events = json_objects(stdout_lines)
    if adapter == "claude":
        per_message: dict[str, tuple[int, int]] = {}
        for index, event in enumerate(events):
            message = event.get("message")
            if event.get("type") != "assistant" or not isinstance(message, dict):
                continue
            usage = message.get("usage")
            if not isinstance(usage, dict):
                continue
            inp = sum(
                to_int(usage.get(key))
                for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
            )  # fmt: skip
            out = to_int(usage.get("output_tokens"))
            key = str(message.get("id") or f"#{index}")
            seen = per_message.get(key, (0, 0))
            per_message[key] = (max(seen[0], inp), max(seen[1], out))
        return sum(u[0] for u in per_message.values()), sum(u[1] for u in per_message.values())
    if adapter == "opencode":
        inp = out = 0
        for event in events:
            if event.get("type") != "step_finish":
                continue
            tokens = _part(event).get("tokens")
            if isinstance(tokens, dict):
                inp += to_int(tokens.get("input"))
                out += to_int(tokens.get("output")) + to_int(tokens.get("reasoning"))
        return inp, out
    return 0, 0
