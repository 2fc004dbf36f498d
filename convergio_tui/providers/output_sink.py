"""Where an agent's output lines go: redacted, then to the log, listeners and buffers."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from convergio_tui import paths
from convergio_tui.providers.capture import LineBuffer
from convergio_tui.providers.redact import Redactor

PREFIXES = {"stdout": "[out] ", "stderr": "[err] ", "convergio": "[convergio] "}
HEADER_LIMIT = 4000


def _one_line(text: str) -> str:
    """Runner notes stay one log line each, whatever the prompt in argv holds."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class OutputSink:
    """Receives the child's raw lines and the runner's notes; one lock keeps log lines whole."""

    def __init__(
        self,
        log_path: Path | None,
        redact: Redactor,
        listeners: Sequence[Callable[[str, str], None]],
        max_output_bytes: int,
    ) -> None:
        self.redact = redact
        self.listeners = tuple(listeners)
        self.max_output_bytes = max_output_bytes
        self.buffers = {"stdout": LineBuffer(), "stderr": LineBuffer()}
        self.total_bytes = 0
        self.truncated = False
        self._lock = threading.Lock()
        self._log: IO[bytes] | None = None
        if log_path is not None:
            # Logs hold prompts and code: readable by the user only, in a private directory.
            fd = paths.open_private(log_path, os.O_WRONLY | os.O_APPEND)
            self._log = os.fdopen(fd, "ab")

    def _write(self, stream: str, text: str) -> None:
        if self._log is not None:
            self._log.write((PREFIXES[stream] + text + "\n").encode("utf-8", "replace"))
            self._log.flush()  # the dashboard may be tailing this file

    def _notify(self, stream: str, text: str) -> None:
        for listener in self.listeners:
            # A broken listener (a closed UI pane) must not stop the pipe from draining.
            with contextlib.suppress(Exception):
                listener(stream, text)

    def header(self, text: str) -> None:
        """The first log line (the redacted command); not sent to listeners."""
        # Redact before cutting: a cut through a secret would leak its first half.
        text = _one_line(self.redact(text))[:HEADER_LIMIT]
        with self._lock:
            self._write("convergio", text)

    def note(self, text: str) -> None:
        """A runner note (timeout, exit code...) for the log and the listeners."""
        text = _one_line(self.redact(text))
        with self._lock:
            self._write("convergio", text)
        self._notify("convergio", text)

    def line(self, stream: str, raw: bytes) -> None:
        """One raw line from the child: decode, redact, keep, then log and notify."""
        if raw.endswith(b"\n"):
            raw_text = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
        else:
            raw_text = raw
        text = self.redact(raw_text.decode("utf-8", errors="replace"))
        marker = None
        with self._lock:
            self.buffers[stream].add(text)
            self.total_bytes += len(raw)
            if self.truncated:
                return
            if self.total_bytes > self.max_output_bytes:
                self.truncated = True
                logged = self.total_bytes - len(raw)
                marker = f"output truncated after {logged} bytes"
                self._write("convergio", marker)
            else:
                self._write(stream, text)
        if marker is not None:
            self._notify("convergio", marker)
        else:
            self._notify(stream, text)

    def close(self) -> None:
        """Close the log file."""
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None
