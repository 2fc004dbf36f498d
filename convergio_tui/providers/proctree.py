"""Kill an agent's whole process tree and leave no zombie or orphan behind.

Agents start in their own session, so the child's pid is also its process-group id:
the group catches descendants that were re-parented after their parent died, and
psutil's ``children(recursive=True)`` catches live descendants in other groups.
A killed descendant becomes a zombie of whoever adopted it (init, which may reap it
late): it is dead, so waits here count zombies as gone instead of blocking on them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import psutil

_POLL_S = 0.02


def _killpg(pgid: int, sig: int) -> bool:
    """Signal a process group; False when no member is left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _alive(proc: psutil.Process) -> bool:
    """Running (not a zombie) and still the same process."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _wait_dead(procs: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Wait until every process is gone or a zombie; returns those still alive."""
    deadline = time.monotonic() + timeout_s
    alive = [p for p in procs if _alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(_POLL_S)
        alive = [p for p in alive if _alive(p)]
    return alive


def _signal_all(procs: list[psutil.Process], sig: int) -> None:
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.send_signal(sig)


def group_members(pgid: int) -> list[psutil.Process]:
    """Live (non-zombie) processes of the group ``pgid``; cheap when the group is empty."""
    if not _killpg(pgid, 0):
        return []
    members: list[psutil.Process] = []
    for proc in psutil.process_iter():
        with contextlib.suppress(OSError, psutil.Error):
            if os.getpgid(proc.pid) == pgid and _alive(proc):
                members.append(proc)
    return members


def kill_tree(proc: subprocess.Popen[bytes], grace_s: float = 2.0) -> None:
    """SIGTERM the descendants, then the child, then its group; SIGKILL what is left
    after ``grace_s``; reap the child. Safe to call on a process that already exited."""
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    deadline = time.monotonic() + grace_s
    _signal_all(descendants, signal.SIGTERM)
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    _killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=max(0.01, deadline - time.monotonic()))
    alive = _wait_dead(descendants, max(0.0, deadline - time.monotonic()))
    if proc.poll() is None or alive:
        _signal_all(alive, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        _killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _wait_dead(alive, grace_s)
    reap_group(proc.pid, grace_s)


def reap_group(pgid: int, grace_s: float = 2.0) -> bool:
    """Terminate, then kill, any process still alive in the group ``pgid`` (orphans of
    a finished run). Returns True when none is left alive."""
    members = group_members(pgid)
    if not members:
        return True
    _signal_all(members, signal.SIGTERM)
    alive = _wait_dead(members, grace_s)
    if not alive:
        return True
    _signal_all(alive, signal.SIGKILL)
    return not _wait_dead(alive, grace_s)
