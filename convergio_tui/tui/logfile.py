"""Reading run logs (``<home>/logs/<run>.log``) in bounded pieces.

The engine writes one line per output line, prefixed ``[out] `` or ``[err] ``. A log can
be huge (a runaway task), so every read here is capped in bytes and in line length.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from convergio_tui.textsafe import printable

MAX_LINE_CHARS = 400


def clean_line(raw: bytes, max_chars: int = MAX_LINE_CHARS) -> str:
    """One log line for display: decoded, ``[out]`` prefix dropped, terminal controls made
    visible (agent output may hold escape sequences), cut to ``max_chars``."""
    text = raw.decode("utf-8", errors="replace").rstrip("\r")
    if text.startswith("[out] "):
        text = text[6:]
    text = printable(text)
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text


@dataclass(frozen=True)
class LogSlice:
    """Lines read from a log, where the read ended, and how many bytes were skipped."""

    lines: tuple[str, ...]
    end: int
    skipped_bytes: int


def read_log(path: str | Path, start: int = 0, max_bytes: int = 2_000_000) -> LogSlice:
    """Complete lines from byte ``start``; when more than ``max_bytes`` remain, the last ones.

    A missing file reads as empty. The partial line at the end of the file is left for
    the next read (``end`` stops before it).
    """
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            if size < start:  # truncated or replaced: read it again from the top
                start = 0
            skipped = max(0, size - start - max_bytes)
            handle.seek(start + skipped)
            data = handle.read(size - start - skipped)
    except OSError:
        return LogSlice((), start, 0)
    begin = start + skipped
    parts = data.split(b"\n")
    tail = parts.pop()  # incomplete line (or b"" after a final newline)
    if skipped and parts:
        parts = parts[1:]  # the first line was cut by the skip
    lines = tuple(clean_line(p) for p in parts)
    return LogSlice(lines, begin + len(data) - len(tail), skipped)


def run_heading(run_id: int, rnd: int, provider: str, model: str, status: str) -> str:
    """The line that separates one run's log from the next in the task detail."""
    return printable(f"──── run {run_id} · round {rnd} · {provider}·{model} · {status} ────")
