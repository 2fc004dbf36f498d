"""A child's pipes served by one poll loop on the thread that runs it.

The runner used to give every run three threads of its own: one per output pipe and one
to write the prompt. On a busy engine (eight runs on two cores) each run then paid for
starting, switching to and joining those threads, and the agents beside it ran slower for
the switching. Here the thread that waits for the child also reads its output and writes
its prompt, as ``Popen.communicate`` does: the pipes are non-blocking and one
``poll()`` wakes on output, on room in stdin, or on the child's exit (its pidfd).

Lines are cut as ``readline(READ_LIMIT)`` would: at each newline (kept), and a longer line
in pieces of ``READ_LIMIT`` bytes; what is left at end of file is the last line.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from typing import IO

from convergio_tui.providers.output_sink import OutputSink

# One line handed to the sink is at most this long; a longer line arrives in pieces.
READ_LIMIT = 16 * 1024 * 1024
_CHUNK = 64 * 1024
_SERVE_POLL_S = 0.05  # how often serve_until looks at its stop event
_IN = select.POLLIN | select.POLLPRI
_GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL


class _Reader:
    """One output pipe: its stream name, the file and the bytes of an unfinished line."""

    def __init__(self, name: str, stream: IO[bytes]) -> None:
        self.name = name
        self.stream = stream
        self.pending = bytearray()


def cut_lines(buf: bytearray, final: bool, limit: int = READ_LIMIT) -> list[bytes]:
    """Take the whole lines (and, when ``final``, the rest) off the front of ``buf``, a
    line longer than ``limit`` in pieces of ``limit`` bytes."""
    lines = []
    start = 0
    while True:
        nl = buf.find(b"\n", start, start + limit)
        if nl >= 0:
            lines.append(bytes(buf[start : nl + 1]))
            start = nl + 1
        elif len(buf) - start >= limit:
            lines.append(bytes(buf[start : start + limit]))
            start += limit
        else:
            break
    if final and start < len(buf):
        lines.append(bytes(buf[start:]))
        start = len(buf)
    del buf[:start]
    return lines


class ChildPipes:
    """Reads ``stdout`` and ``stderr`` into ``sink`` and writes ``stdin_text`` (then
    closes stdin), all from :meth:`step`, called by the thread waiting for the child."""

    def __init__(
        self,
        stdout: IO[bytes],
        stderr: IO[bytes],
        stdin: IO[bytes] | None,
        stdin_text: str | None,
        sink: OutputSink,
    ) -> None:
        self._sink = sink
        self._poll = select.poll()  # not select(): no FD_SETSIZE limit in a busy engine
        self._readers: dict[int, _Reader] = {}
        for name, stream in (("stdout", stdout), ("stderr", stderr)):
            fd = stream.fileno()
            os.set_blocking(fd, False)
            self._readers[fd] = _Reader(name, stream)
            self._poll.register(fd, _IN)
        self._stdin = stdin
        self._prompt = memoryview((stdin_text or "").encode("utf-8"))
        if stdin is not None:
            os.set_blocking(stdin.fileno(), False)
            if self._prompt:
                self._poll.register(stdin.fileno(), select.POLLOUT)
            else:
                self._close_stdin()
        self._watched: int | None = None

    def watch(self, fd: int) -> None:
        """Also wake :meth:`step` when ``fd`` becomes readable (the child's pidfd)."""
        self._watched = fd
        self._poll.register(fd, select.POLLIN)

    def step(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for something to do, and do it. True when the watched
        descriptor became readable."""
        fired = False
        for fd, events in self._poll.poll(max(0, int(timeout_s * 1000 + 0.999))):
            if fd == self._watched:
                fired = True
            elif fd in self._readers:
                self._read(fd, events)
            elif self._stdin is not None and fd == self._stdin.fileno():
                self._write(events)
        return fired

    def drain(self, seconds: float) -> bool:
        """Read until both output pipes end, for at most ``seconds``. True when they did;
        False when something (an escaped process) still holds them open."""
        deadline = time.monotonic() + seconds
        while self._readers:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.step(left)
        return True

    def serve_until(self, stop: threading.Event) -> None:
        """Read the output pipes until both end or ``stop`` is set (from another thread,
        while this one is kept from :meth:`step`)."""
        while self._readers and not stop.is_set():
            self.step(_SERVE_POLL_S)

    def close_watch(self) -> None:
        """Stop waking on the watched descriptor (before its owner closes it)."""
        if self._watched is not None:
            self._poll.unregister(self._watched)
            self._watched = None

    def close(self) -> None:
        """Close every pipe still open; an unfinished line is handed on as it is."""
        for fd in list(self._readers):
            self._finish(fd)
        self._close_stdin()
        self.close_watch()

    def _read(self, fd: int, events: int) -> None:
        reader = self._readers[fd]
        try:
            data = os.read(fd, _CHUNK) if events & (_IN | select.POLLHUP) else b""
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # end of file, or the pipe broke
            self._finish(fd)
            return
        reader.pending += data
        # What was pending holds no newline (cut_lines took every line): only the new
        # bytes need looking at. Searching the whole of a long line again on every read
        # would let a child trickling into a 16 MiB line keep a core busy.
        if data.find(b"\n") < 0 and len(reader.pending) < READ_LIMIT:
            return
        for line in cut_lines(reader.pending, final=False):
            self._sink.line(reader.name, line)

    def _finish(self, fd: int) -> None:
        reader = self._readers.pop(fd)
        self._poll.unregister(fd)
        for line in cut_lines(reader.pending, final=True):
            self._sink.line(reader.name, line)
        with contextlib.suppress(OSError):
            reader.stream.close()

    def _write(self, events: int) -> None:
        if events & _GONE and not events & select.POLLOUT:
            self._close_stdin()  # the child closed its end without reading
            return
        assert self._stdin is not None
        try:
            written = os.write(self._stdin.fileno(), self._prompt[:_CHUNK])
        except BlockingIOError:
            return
        except OSError:  # BrokenPipeError: the child exited without reading
            written = len(self._prompt)
        self._prompt = self._prompt[written:]
        if not self._prompt:
            self._close_stdin()  # EOF ends the prompt

    def _close_stdin(self) -> None:
        stdin, self._stdin = self._stdin, None
        if stdin is None:
            return
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._poll.unregister(stdin.fileno())
        with contextlib.suppress(OSError):
            stdin.close()
