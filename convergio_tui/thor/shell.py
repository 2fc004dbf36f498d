"""Run a gate's shell command in a checkout, with a timeout that kills the whole group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TAIL_LINES = 30
TAIL_CHARS = 3000


@dataclass(frozen=True)
class CommandResult:
    """How one command ended, with the tail of its combined output."""

    command: str
    exit_code: int
    output_tail: str
    timed_out: bool
    duration_s: float

    @property
    def ok(self) -> bool:
        """True when the command exited 0 in time."""
        return self.exit_code == 0 and not self.timed_out

    def evidence(self) -> str:
        """``$ command`` / ``exit N`` / the output tail, for a person to act on."""
        status = "timed out" if self.timed_out else f"exit {self.exit_code}"
        tail = self.output_tail.rstrip()
        text = f"$ {self.command}\n{status} after {self.duration_s:.1f}s"
        return f"{text}\n{tail}" if tail else text


class CommandClock:
    """Thread-safe total of the seconds spent waiting for commands (not Thor's own time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0

    def add(self, seconds: float) -> None:
        """Add one command's (or git call's) wall time."""
        with self._lock:
            self.seconds += seconds


def tail(text: str, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The last ``lines`` lines of ``text``, at most ``chars`` characters."""
    kept = "\n".join(text.rstrip().splitlines()[-lines:])
    return kept[-chars:]


def run_shell(
    command: str,
    cwd: Path,
    timeout_s: float,
    clock: CommandClock | None = None,
    redact: Callable[[str], str] | None = None,
    wrap: Callable[[list[str]], tuple[list[str], dict[str, str]]] | None = None,
) -> CommandResult:
    """Run ``command`` through the shell in ``cwd``; stdout and stderr are merged.

    The command gets its own process group so a timeout kills everything it started.
    ``redact`` masks secret values in the whole output before the tail is cut from it.
    ``wrap`` turns ``sh -c command`` into the confined argv and environment (the sandbox:
    the command runs code an agent wrote).
    """
    started = time.monotonic()
    argv, env = ["sh", "-c", command], None
    if wrap is not None:
        argv, env = wrap(argv)
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=str(cwd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        out, _ = proc.communicate()
    duration = time.monotonic() - started
    if clock is not None:
        clock.add(duration)
    text = out.decode("utf-8", errors="replace") if out else ""
    if redact is not None:
        # Before cutting: a cut through a value would leave a fragment no mask matches.
        text = redact(text)
    code = proc.returncode if proc.returncode is not None else -1
    return CommandResult(command, code, tail(text), timed_out, duration)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
