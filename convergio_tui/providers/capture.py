"""Bounded memory of a stream's lines: what the output parsers need, not 100 MB.

The parsers read JSON-object lines (events, the final result) and, for errors, the
last plain lines. So a stream keeps every line that looks like a JSON object within a
byte budget (oldest dropped first) plus the last ``tail_lines`` lines of any kind.
"""

from __future__ import annotations

from collections import deque

DEFAULT_JSON_BUDGET = 8_000_000
DEFAULT_TAIL_LINES = 200
TAIL_LINE_MAX = 65_536


class LineBuffer:
    """Keeps JSON-looking lines up to ``json_budget`` bytes plus a tail of recent lines."""

    def __init__(
        self, json_budget: int = DEFAULT_JSON_BUDGET, tail_lines: int = DEFAULT_TAIL_LINES
    ) -> None:
        self._json: deque[tuple[int, str]] = deque()
        self._json_size = 0
        self._json_budget = json_budget
        self._tail: deque[tuple[int, str]] = deque(maxlen=tail_lines)
        self._seq = 0
        self.dropped = 0

    def add(self, line: str) -> None:
        """Remember one decoded line."""
        self._seq += 1
        if line.lstrip().startswith("{"):
            self._json.append((self._seq, line))
            self._json_size += len(line)
            # Keep at least the newest line even if it alone exceeds the budget.
            while self._json_size > self._json_budget and len(self._json) > 1:
                _, old = self._json.popleft()
                self._json_size -= len(old)
                self.dropped += 1
        else:
            self._tail.append((self._seq, line[:TAIL_LINE_MAX]))

    def lines(self) -> tuple[str, ...]:
        """The kept lines, in their original order."""
        merged = dict(self._tail)
        merged.update(self._json)
        return tuple(merged[seq] for seq in sorted(merged))
