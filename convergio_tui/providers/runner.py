"""The shared subprocess runner of every provider CLI.

Rules (docs/providers.md): stdin closed unless a prompt is piped (then written and closed);
no PTY; the child in its own session; ``CLAUDECODE`` removed; stdout and stderr read
concurrently by the calling thread (:mod:`providers.pipes`), line by line, as bytes
decoded with ``errors="replace"``; each line is redacted before it reaches the log or a
listener; output past ``max_output_bytes`` is no longer logged (one marker line says so)
while the pipes keep draining; on timeout or cancel the whole tree is killed (psutil),
then reaped; orphans left in the child's process group after it exits are killed too.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from convergio_tui.providers.output_sink import OutputSink
from convergio_tui.providers.pipes import ChildPipes
from convergio_tui.providers.proctree import kill_tree, reap_group
from convergio_tui.providers.redact import Redactor

_POLL_S = 0.05  # how often cancel (and, without a pidfd, the child's exit) is looked at
_DRAIN_S = 5.0  # after the exit, how long output still held open by others is read

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
    proc: subprocess.Popen[bytes], pipes: ChildPipes, deadline: float,
    cancel: threading.Event | None,
) -> tuple[bool, bool]:  # fmt: skip
    """Serve the pipes until the child exits; returns (timed_out, cancelled). With a pidfd
    the exit wakes the poll at once; without one the child is looked at every 50 ms."""
    fd = _exit_fd(proc.pid)
    if fd is not None:
        pipes.watch(fd)
    try:
        while True:
            if cancel is not None and cancel.is_set():
                return False, True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True, False
            step = remaining if cancel is None and fd is not None else min(remaining, _POLL_S)
            if pipes.step(step) or (fd is None and proc.poll() is not None):
                proc.wait()
                return False, False
    finally:
        if fd is not None:
            pipes.close_watch()
            os.close(fd)


def _kill_reading(proc: subprocess.Popen[bytes], pipes: ChildPipes, grace_s: float) -> None:
    """Kill the tree while a short-lived thread goes on reading its output: a child whose
    answer to SIGTERM is more than a pipe holds (a last summary, a flush) would otherwise
    block on it until SIGKILL, and that output would be lost. Only a timeout or a cancel
    gets here, so the one thread this costs is rare."""
    stop = threading.Event()
    reader = threading.Thread(target=pipes.serve_until, args=(stop,), daemon=True)
    reader.start()
    try:
        kill_tree(proc, grace_s)
    finally:
        stop.set()
        reader.join()


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

    ``listeners`` are called from the calling thread as ``(stream, line)`` with stream
    ``"stdout"``, ``"stderr"`` or ``"convergio"`` (the runner's own notes): they must be
    thread-safe and quick, as the timeout and a cancel are looked at between reads (a
    slow listener delays both by as long as it takes over one read's lines; during a
    kill they are called from a short-lived reader thread). ``on_start(pid)`` runs right after the spawn. ``header`` is the
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
    pipes = ChildPipes(proc.stdout, proc.stderr, proc.stdin, stdin_text, sink)
    try:
        if on_start is not None:
            on_start(proc.pid)
        timed_out, cancelled = _wait(proc, pipes, started + timeout_s, cancel)
    except BaseException:
        kill_tree(proc, kill_grace_s)  # never leave the child running behind an error
        pipes.close()
        raise
    if timed_out:
        sink.note(f"timed out after {timeout_s:g}s: killing the process tree")
    elif cancelled:
        sink.note("cancelled: killing the process tree")
    if timed_out or cancelled:
        _kill_reading(proc, pipes, kill_grace_s)
    exit_code = proc.wait()
    # Anything left in the child's group is an orphan now; it may also hold our pipes.
    reap_group(proc.pid, kill_grace_s)
    if not pipes.drain(_DRAIN_S):
        sink.note("an escaped process still holds the output pipes; stopped reading")
    pipes.close()
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
