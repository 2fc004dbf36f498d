"""The shared subprocess runner of every provider CLI.

Rules (docs/providers.md): stdin closed unless a prompt is piped (then written and closed);
no PTY; the child in its own session; ``CLAUDECODE`` removed; stdout and stderr read
concurrently, line by line, as bytes decoded with ``errors="replace"``; each line is
redacted before it reaches the log or a listener; output past ``max_output_bytes`` is no
longer logged (one marker line says so) while the pipes keep draining; on timeout or
cancel the whole tree is killed (psutil), then reaped; orphans left in the child's
process group after it exits are killed too.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from convergio_tui.providers.output_sink import OutputSink
from convergio_tui.providers.proctree import kill_tree, reap_group
from convergio_tui.providers.redact import Redactor

# One readline() call returns at most this much; a longer line arrives in pieces.
READ_LIMIT = 16 * 1024 * 1024
_CANCEL_POLL_S = 0.05
_READER_JOIN_S = 5.0

Listener = Callable[[str, str], None]


@dataclass(frozen=True)
class ProcessOutcome:
    """What a finished (or killed) child left: exit status and the kept output lines.

    ``stdout_lines``/``stderr_lines`` are redacted and bounded (JSON-object lines within
    a byte budget plus the last plain lines), in order, without line terminators.
    ``exit_code`` is negative when a signal ended the child, None if it never started
    (then ``spawn_error`` says why).
    """

    exit_code: int | None
    stdout_lines: tuple[str, ...]
    stderr_lines: tuple[str, ...]
    timed_out: bool
    cancelled: bool
    truncated: bool
    pid: int | None
    duration_s: float
    spawn_error: str | None = None
    output_bytes: int = 0


def _pump(stream: IO[bytes], name: str, sink: OutputSink) -> None:
    """Read one pipe to EOF, handing each raw line to the sink."""
    try:
        while True:
            raw = stream.readline(READ_LIMIT)
            if not raw:
                break
            sink.line(name, raw)
    except (OSError, ValueError):
        pass  # the pipe was closed under us; the outcome still reports what was read
    finally:
        with contextlib.suppress(OSError):
            stream.close()


def _feed(stream: IO[bytes], text: str) -> None:
    """Write the prompt to the child's stdin and close it (EOF ends the prompt)."""
    try:
        stream.write(text.encode("utf-8"))
        stream.flush()
    except (BrokenPipeError, OSError):
        pass  # the child exited without reading: its output will tell why
    finally:
        with contextlib.suppress(OSError):
            stream.close()


def _exit_fd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux pidfd), or None."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None


def _wait(
    proc: subprocess.Popen[bytes], deadline: float, cancel: threading.Event | None
) -> tuple[bool, bool]:
    """Wait for exit; returns (timed_out, cancelled). With a pidfd the exit wakes this
    thread at once; ``Popen.wait(timeout)`` polls with sleeps of up to 50 ms, which is
    that much latency on every run of a short agent."""
    fd = _exit_fd(proc.pid)
    poller = None
    if fd is not None:
        poller = select.poll()  # not select(): no FD_SETSIZE limit in a busy engine
        poller.register(fd, select.POLLIN)
    try:
        while True:
            if cancel is not None and cancel.is_set():
                return False, True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True, False
            step = remaining if cancel is None else min(remaining, _CANCEL_POLL_S)
            if poller is not None:
                if poller.poll(max(1, int(step * 1000))):
                    proc.wait()
                    return False, False
                continue
            try:
                proc.wait(timeout=step)
                return False, False
            except subprocess.TimeoutExpired:
                continue
    finally:
        if fd is not None:
            os.close(fd)


def _not_started(
    sink: OutputSink, argv: Sequence[str], reason: str, started: float
) -> ProcessOutcome:
    sink.note(f"could not start {argv[0] if argv else '(empty argv)'}: {reason}")
    sink.close()
    return ProcessOutcome(
        exit_code=None,
        stdout_lines=(),
        stderr_lines=(),
        timed_out=False,
        cancelled=reason == "cancelled before start",
        truncated=False,
        pid=None,
        duration_s=time.monotonic() - started,
        spawn_error=reason,
    )


def run_process(
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    log_path: Path | None,
    stdin_text: str | None = None,
    listeners: Sequence[Listener] = (),
    secrets: Iterable[str] = (),
    max_output_bytes: int = 50_000_000,
    cancel: threading.Event | None = None,
    on_start: Callable[[int], None] | None = None,
    kill_grace_s: float = 2.0,
    header: str | None = None,
) -> ProcessOutcome:
    """Run ``argv`` in ``cwd`` and return its outcome; never leaves a process behind.

    ``listeners`` are called from reader threads as ``(stream, line)`` with stream
    ``"stdout"``, ``"stderr"`` or ``"convergio"`` (the runner's own notes): they must be
    thread-safe and quick. ``on_start(pid)`` runs right after the spawn. ``header`` is the
    log's first line (default: the command), e.g. the agent's own command without the
    sandbox around it.
    """
    started = time.monotonic()
    sink = OutputSink(log_path, Redactor(secrets), listeners, max_output_bytes)
    first = header if header is not None else f"$ {shlex.join(argv)}"
    sink.header(first + (" < prompt on stdin" if stdin_text is not None else ""))
    child_env = {k: v for k, v in env.items() if k != "CLAUDECODE"}
    # Some CLIs (opencode) work in $PWD rather than their process's working directory: it
    # must name the task's folder, never the directory Convergio was started from.
    child_env["PWD"] = str(Path(cwd).resolve())
    if not argv:
        return _not_started(sink, argv, "empty argv", started)
    if cancel is not None and cancel.is_set():
        return _not_started(sink, argv, "cancelled before start", started)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=child_env,
            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
        )
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in argv or env
        return _not_started(sink, argv, str(exc), started)
    assert proc.stdout is not None and proc.stderr is not None
    threads = [
        threading.Thread(target=_pump, args=(proc.stdout, "stdout", sink), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, "stderr", sink), daemon=True),
    ]
    if stdin_text is not None:
        assert proc.stdin is not None
        threads.append(threading.Thread(target=_feed, args=(proc.stdin, stdin_text), daemon=True))
    for thread in threads:
        thread.start()
    try:
        if on_start is not None:
            on_start(proc.pid)
        timed_out, cancelled = _wait(proc, started + timeout_s, cancel)
    except BaseException:
        kill_tree(proc, kill_grace_s)  # never leave the child running behind an error
        raise
    if timed_out:
        sink.note(f"timed out after {timeout_s:g}s: killing the process tree")
    elif cancelled:
        sink.note("cancelled: killing the process tree")
    if timed_out or cancelled:
        kill_tree(proc, kill_grace_s)
    exit_code = proc.wait()
    # Anything left in the child's group is an orphan now; it may also hold our pipes.
    reap_group(proc.pid, kill_grace_s)
    for thread in threads:
        thread.join(timeout=_READER_JOIN_S)
    if any(thread.is_alive() for thread in threads):
        sink.note("an escaped process still holds the output pipes; stopped reading")
    duration = time.monotonic() - started
    sink.note(f"exit code {exit_code} after {duration:.2f}s")
    sink.close()
    return ProcessOutcome(
        exit_code=exit_code,
        stdout_lines=sink.buffers["stdout"].lines(),
        stderr_lines=sink.buffers["stderr"].lines(),
        timed_out=timed_out,
        cancelled=cancelled,
        truncated=sink.truncated,
        pid=proc.pid,
        duration_s=duration,
        output_bytes=sink.total_bytes,
    )
