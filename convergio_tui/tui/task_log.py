"""A task's log for the task detail: every run's log, read in bounded pieces, two ways.

*Described*: each line as the output panes show it (the run's provider's
``describe_line``: the assistant's words, ``⚙ Write app.py``, ``✔ done · …``), styled by
its kind as the panes colour it. *Raw*: the line as the CLI printed it (its JSON), for
when the description hides something. Both are made here, on the reader thread, and both
are printable: the log quotes the agent, escape sequences included.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content

from convergio_tui.providers import describer
from convergio_tui.store.queries import RunLine
from convergio_tui.textsafe import printable
from convergio_tui.tui.logfile import clean_line, run_heading
from convergio_tui.tui.pane_lines import ERR_MARK, NOTE_MARK, OUT_PREFIX, Describer
from convergio_tui.tui.widgets.output_pane import line_kind

LOG_BYTES_PER_READ = 4_000_000
MAX_EVENT_LINES = 400  # one event's description (a long answer) keeps this many lines
DETAIL_LINE_CHARS = 2_000
# How each kind of described line looks: the panes' colours (widgets/output_pane.py).
KIND_STYLES = {"err": "$text-muted dim", "note": "$text-muted italic", "done": "$status-done",
               "failed": "bold $status-failed", "warn": "$text-warning",
               "tool": "$text-secondary", "quiet": "$text-muted"}  # fmt: skip
HEADING_STYLE = "bold $primary"


@dataclass(frozen=True)
class LogChunk:
    """New lines of the task's runs, both ways, and where each run's log was read up to."""

    described: tuple[Content, ...]
    raw: tuple[Content, ...]
    offsets: tuple[tuple[int, int], ...]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def described_lines(raw: bytes, describe: Describer) -> list[Content]:
    """One raw log line as the panes describe it (none for an event worth nothing)."""
    text = raw.decode("utf-8", errors="replace").rstrip("\r")
    if text.startswith(NOTE_MARK):
        return [Content.styled(_cut(printable(text), DETAIL_LINE_CHARS), KIND_STYLES["note"])]
    mark = ERR_MARK if text.startswith(ERR_MARK) else ""
    body = text[len(OUT_PREFIX) :] if text.startswith((OUT_PREFIX, ERR_MARK)) else text
    try:
        described = describe(body)
    except Exception:  # a surprise in a CLI's output must not stop the reader
        described = body
    if described is None:
        return []
    lines = described.split("\n")
    if len(lines) > MAX_EVENT_LINES:
        more = len(lines) - MAX_EVENT_LINES + 1
        lines = [*lines[: MAX_EVENT_LINES - 1], f"… {more:,} more lines (the raw log has them)"]
    out = []
    for line in lines:
        shown = _cut(printable(mark + line.rstrip("\r")), DETAIL_LINE_CHARS)
        kind = line_kind(shown)
        out.append(Content.styled(shown, KIND_STYLES[kind]) if kind else Content(shown))
    return out


@dataclass(frozen=True)
class _RawSlice:
    parts: list[bytes]
    end: int
    skipped: int


def _read_raw(path: str, start: int, max_bytes: int) -> _RawSlice:
    """Complete raw lines from byte ``start`` (the last ``max_bytes`` when more remain)."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            if size < start:  # truncated or replaced: read it again from the top
                start = 0
            skipped = max(0, size - start - max_bytes)
            handle.seek(start + skipped)
            data = handle.read(size - start - skipped)
    except OSError:
        return _RawSlice([], start, 0)
    parts = data.split(b"\n")
    tail = parts.pop()  # the line still being written, for the next read
    if skipped and parts:
        parts = parts[1:]  # the first line was cut by the skip
    return _RawSlice(parts, start + skipped + len(data) - len(tail), skipped)


def read_new_log(runs: tuple[RunLine, ...], offsets: dict[int, int]) -> LogChunk:
    """What was appended to each run's log since ``offsets`` (a heading for new runs)."""
    described: list[Content] = []
    raw: list[Content] = []
    new_offsets = dict(offsets)
    for run in runs:
        if run.id not in offsets:
            heading = Content.styled(
                run_heading(run.id, run.round, run.provider, run.model, run.status), HEADING_STYLE
            )
            described.append(heading)
            raw.append(heading)
        if not run.log_path:
            new_offsets.setdefault(run.id, 0)
            continue
        piece = _read_raw(run.log_path, offsets.get(run.id, 0), LOG_BYTES_PER_READ)
        if piece.skipped:
            note = Content.styled(
                printable(f"… {piece.skipped / 1e6:.1f} MB skipped: the log is {run.log_path} …"),
                KIND_STYLES["note"],
            )
            described.append(note)
            raw.append(note)
        describe = describer(run.provider)
        for part in piece.parts:
            described.extend(described_lines(part, describe))
            raw.append(Content(clean_line(part, DETAIL_LINE_CHARS)))
        new_offsets[run.id] = piece.end
    return LogChunk(tuple(described), tuple(raw), tuple(new_offsets.items()))
