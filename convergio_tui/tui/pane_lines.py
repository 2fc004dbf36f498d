"""Log lines as the output panes show them: described by the run's provider, marked, cut.

Runs on the tailer's reader thread, never on the UI thread. The log keeps the CLI's raw
JSON (the task detail's "full log" shows it); a pane shows what a person reads: the
provider's ``describe_line`` of each ``[out]`` and ``[err]`` line, stderr still marked
``[err]`` (dimmed by the pane) and Convergio's own ``[convergio]`` notes as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from convergio_tui.textsafe import printable
from convergio_tui.tui.logfile import MAX_LINE_CHARS, clean_line

Describer = Callable[[str], str | None]

ERR_MARK = "[err] "
NOTE_MARK = "[convergio] "
OUT_PREFIX = "[out] "
MAX_EVENT_LINES = 40  # one long assistant message must not push everything else out


def _cut(text: str, max_chars: int) -> str:
    # Described text quotes the agent (JSON-decoded: escapes are real controls again).
    text = printable(text)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def _describe(describe: Describer, body: str) -> str | None:
    try:
        return describe(body)
    except Exception:  # a surprise in a CLI's output must not stop the reader thread
        return body


def pane_lines(
    raw: bytes, describe: Describer | None, max_chars: int = MAX_LINE_CHARS
) -> list[str]:
    """The pane lines of one raw log line (none for an event worth nothing).

    Without ``describe`` the line shows as the log has it (``clean_line``).
    """
    if describe is None:
        return [clean_line(raw, max_chars)]
    text = raw.decode("utf-8", errors="replace").rstrip("\r")
    if text.startswith(NOTE_MARK):
        return [_cut(text, max_chars)]
    mark = ERR_MARK if text.startswith(ERR_MARK) else ""
    body = text[6:] if text.startswith((OUT_PREFIX, ERR_MARK)) else text
    described = _describe(describe, body)
    if described is None:
        return []
    lines = described.split("\n")
    if len(lines) > MAX_EVENT_LINES:
        more = len(lines) - MAX_EVENT_LINES + 1
        lines = [*lines[: MAX_EVENT_LINES - 1], f"… {more:,} more lines (the task detail has them)"]
    return [_cut(mark + line.rstrip("\r"), max_chars) for line in lines]


def newest_pane_lines(
    parts: Sequence[bytes], describe: Describer | None, limit: int
) -> tuple[list[str], int]:
    """Pane lines of the newest ``parts`` (about ``limit`` of them), oldest first.

    Returns the lines and how many raw lines were left undescribed: a burst of output
    costs the reader thread no more than what a pane can keep.
    """
    newest: list[list[str]] = []
    count = used = 0
    for raw in reversed(parts):
        if count >= limit:
            break
        lines = pane_lines(raw, describe)
        newest.append(lines)
        count += len(lines)
        used += 1
    return [line for lines in reversed(newest) for line in lines], len(parts) - used
