"""What a simulated CLI reads from the machine it runs on, in one place.

Test and demo instrument (convergio-sim). A speaker prints ids, timestamps, its working
directory, ``$HOME`` and its pid, and writes to stdout and stderr; it takes all of them
from a :class:`Host`. The simulated processes use :class:`Host` itself (the real
machine). ``convergio_tui.devtools`` passes a fixed one to record what the simulators
print into the sample run logs, the same bytes from run to run, without a process.
"""

from __future__ import annotations

import os
import sys
import time


class Host:
    """The real machine: the process's streams, clock, random ids, cwd, env and pid."""

    def write(self, stream: str, text: str) -> None:
        """Write ``text`` to ``stream`` (``stdout`` or ``stderr``) and flush it at once, so
        a reader sees each line as it comes."""
        out = sys.stdout if stream == "stdout" else sys.stderr
        out.write(text)
        out.flush()

    def random_bytes(self, size: int) -> bytes:
        """``size`` random bytes (the source of every id)."""
        return os.urandom(size)

    def time(self) -> float:
        """Seconds since the epoch (timestamps)."""
        return time.time()

    def monotonic(self) -> float:
        """A clock for durations."""
        return time.monotonic()

    def cwd(self) -> str:
        """The working directory."""
        return os.getcwd()

    def getenv(self, name: str) -> str | None:
        """An environment variable, None when unset."""
        return os.environ.get(name)

    def pid(self) -> int:
        """The process id."""
        return os.getpid()
