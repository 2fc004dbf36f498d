"""A reader thread that tails the logs of running tasks into bounded buffers.

It works the same beside an external ``convergio run`` and in-process, since both write
``run.log_path``. The UI thread never reads files: a timer drains the buffers of the
panes on screen. Each sweep reads at most ``max_read_bytes`` per log and each buffer
keeps at most ``buffer_lines`` lines, so a task printing 100 MB costs bounded memory
and bounded time; what is skipped is counted and shown as such. A log followed with its
provider's ``describe`` is turned into pane lines here (``pane_lines``), on this thread,
and only as much of a burst as a buffer keeps is described. With ``focus`` set to the
panes on screen, only their logs are read: a hidden run costs nothing until it shows.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from convergio_tui.tui.pane_lines import Describer, newest_pane_lines


@dataclass
class _Tail:
    path: str
    describe: Describer | None = None
    handle: BinaryIO | None = None
    offset: int | None = None
    partial: bytes = b""
    pending: deque[str] = field(default_factory=deque)
    dropped: int = 0
    skipped_bytes: int = 0
    rewind: bool = False


def _rewind(tail: _Tail) -> None:
    """Forget the buffer; the next sweep starts again from the log's last few KB."""
    tail.rewind = True
    tail.pending.clear()
    tail.dropped = tail.skipped_bytes = 0


@dataclass(frozen=True)
class Drained:
    """Lines for a pane, and what was left out since the last drain."""

    lines: list[str]
    dropped_lines: int = 0
    skipped_bytes: int = 0


class LogTailer:
    """Follow many log files on one thread; ``drain`` hands lines to the UI."""

    def __init__(
        self,
        *,
        buffer_lines: int = 1000,
        max_read_bytes: int = 512 * 1024,
        start_tail_bytes: int = 32 * 1024,
        interval_s: float = 0.05,
    ) -> None:
        self._buffer_lines = buffer_lines
        self._max_read = max_read_bytes
        self._start_tail = start_tail_bytes
        self._interval = interval_s
        self._tails: dict[int, _Tail] = {}
        self._focus: frozenset[int] | None = None  # None: read every followed log
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def follow(self, key: int, path: str, describe: Describer | None = None) -> None:
        """Start tailing ``path`` under ``key`` (a run id) from its last few KB.

        With ``describe`` (the run's provider's ``describe_line``) lines are buffered
        as a person reads them; without it, as the log has them.
        """
        with self._lock:
            if key not in self._tails:
                pending: deque[str] = deque(maxlen=self._buffer_lines)
                self._tails[key] = _Tail(path, describe, pending=pending)

    def rewind(self, key: int) -> None:
        """Re-read the last few KB of ``key`` (a new pane wants some context)."""
        with self._lock:
            tail = self._tails.get(key)
            if tail is not None:
                _rewind(tail)

    def focus(self, keys: Iterable[int] | None) -> None:
        """Read only the logs of ``keys`` (None: all); one coming back re-reads its tail."""
        wanted = None if keys is None else frozenset(keys)
        with self._lock:
            if wanted == self._focus:
                return
            if self._focus is not None:
                back = (wanted if wanted is not None else frozenset(self._tails)) - self._focus
                for key in back & self._tails.keys():
                    _rewind(self._tails[key])  # what it missed meanwhile is old news
            self._focus = wanted

    def unfollow(self, key: int) -> None:
        """Stop tailing ``key`` and forget its buffer."""
        with self._lock:
            tail = self._tails.pop(key, None)
        if tail is not None and tail.handle is not None:
            tail.handle.close()

    def following(self) -> set[int]:
        """Keys being tailed."""
        with self._lock:
            return set(self._tails)

    def drain(self, key: int, limit: int) -> Drained:
        """Take the newest ``limit`` buffered lines of ``key`` and what was left out."""
        with self._lock:
            tail = self._tails.get(key)
            if tail is None or not (tail.pending or tail.dropped or tail.skipped_bytes):
                return Drained([])
            lines = list(tail.pending)
            tail.pending.clear()
            out = Drained(
                lines[-limit:], tail.dropped + max(0, len(lines) - limit), tail.skipped_bytes
            )
            tail.dropped = tail.skipped_bytes = 0
        return out

    def sweep(self) -> None:
        """Read what was appended to every followed log in focus since the last sweep."""
        with self._lock:
            focus = self._focus
            tails = [t for k, t in self._tails.items() if focus is None or k in focus]
        for tail in tails:
            try:
                self._read(tail)
            except (OSError, ValueError):
                continue  # not created yet, gone, or unfollowed meanwhile: next sweep

    def _read(self, tail: _Tail) -> None:
        if tail.handle is None:
            tail.handle = open(tail.path, "rb")  # noqa: SIM115  (kept open across sweeps)
        size = os.fstat(tail.handle.fileno()).st_size
        skipped = 0
        if tail.rewind:
            tail.rewind, tail.offset, tail.partial = False, None, b""
        if tail.offset is None:  # joining mid-run: show the recent output only
            tail.offset = max(0, size - self._start_tail)
            skipped = tail.offset
        elif size < tail.offset:  # truncated: start over
            tail.offset, tail.partial = 0, b""
        if size - tail.offset > self._max_read:  # falling behind: jump to the newest output
            skipped += size - self._max_read - tail.offset
            tail.offset, tail.partial = size - self._max_read, b""
        if tail.offset >= size:
            return
        tail.handle.seek(tail.offset)
        data = tail.handle.read(size - tail.offset)
        tail.offset += len(data)
        parts = (tail.partial + data).split(b"\n")
        tail.partial = parts.pop()
        if skipped and parts:
            parts = parts[1:]  # begins mid-line
        if len(tail.partial) > 64 * 1024:  # a "line" with no end in sight: show it cut
            parts.append(tail.partial)
            tail.partial = b""
        lines, undescribed = newest_pane_lines(parts, tail.describe, self._buffer_lines)
        with self._lock:
            overflow = max(0, len(tail.pending) + len(lines) - self._buffer_lines)
            tail.pending.extend(lines)
            tail.dropped += overflow + undescribed
            tail.skipped_bytes += skipped

    def start(self) -> None:
        """Start the reader thread (idempotent)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="convergio-log-tailer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the reader thread, wait for it, and close every file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        with self._lock:
            tails = list(self._tails.values())
            self._tails.clear()
        for tail in tails:
            if tail.handle is not None:
                tail.handle.close()

    @property
    def alive(self) -> bool:
        """True while the reader thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sweep()
            self._stop.wait(self._interval)
