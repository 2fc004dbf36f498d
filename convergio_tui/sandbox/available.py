"""Whether agents can be sandboxed here, and the one line that says what to do if not."""

from __future__ import annotations

import _thread
import contextlib
import json
import os
import sys
import time

from convergio_tui import paths

INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install "
    "bubblewrap) or set `sandbox: {mode: off}` in orchestrator.yaml to run agents unsandboxed"
)
_PROBE_TIMEOUT_S = 30.0
_cache: dict[str, str | None] = {}
# The low-level lock: `threading` (and `shutil`, for `which`) cost `convergio health`,
# which reads a remembered verdict, more than the rest of its answer.
_lock = _thread.allocate_lock()


def _which(name: str) -> str | None:
    """The executable ``name`` on PATH, or None (``shutil.which`` for a bare name)."""
    for folder in os.get_exec_path():
        candidate = os.path.join(folder or os.curdir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def bwrap_path() -> str | None:
    """The ``bwrap`` executable on PATH, or None."""
    return _which("bwrap")


def _probe(bwrap: str) -> str | None:
    """Run a trivial sandbox once: None when it works, else why not."""
    import subprocess  # only here: `convergio health` mostly reads the remembered verdict

    argv = [bwrap, "--die-with-parent", "--unshare-pid", "--cap-drop", "ALL",
            "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", "true"]  # fmt: skip
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start: {exc}"
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return (
            f"bubblewrap cannot create a sandbox here ({detail}); user namespaces may be disabled"
        )
    return None


def unavailable_reason() -> str | None:
    """None when agents can be sandboxed on this machine, else a one-line reason with the
    fix. The answer is cached for the process (bubblewrap does not come and go)."""
    if sys.platform == "darwin":
        if _which("sandbox-exec") is None:
            return "sandbox-exec is missing; set `sandbox: {mode: off}` to run agents unsandboxed"
        return None
    if not sys.platform.startswith("linux"):
        return (
            f"no sandbox for {sys.platform}; set `sandbox: {{mode: off}}` to run agents unsandboxed"
        )
    bwrap = bwrap_path()
    if bwrap is None:
        return f"agents cannot be sandboxed: bwrap is not installed; {INSTALL_HINT}"
    with _lock:
        if bwrap not in _cache:
            _cache[bwrap] = _probe(bwrap)
        reason = _cache[bwrap]
    return None if reason is None else f"agents cannot be sandboxed: {reason}; {INSTALL_HINT}"


# How long `convergio health` may repeat a verdict found on disk. The engine never does:
# it asks unavailable_reason() and probes once per process.
REMEMBER_S = 600.0
_USERNS_SWITCHES = (
    "/proc/sys/kernel/unprivileged_userns_clone",
    "/proc/sys/user/max_user_namespaces",
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
)


def _machine_facts(bwrap: str) -> list[object]:
    """What a probe's verdict depends on: this bwrap binary, the kernel and its
    user-namespace switches. Any change makes a remembered verdict unusable."""
    info = os.stat(bwrap)
    facts: list[object] = [bwrap, info.st_ino, info.st_size, info.st_mtime_ns, info.st_mode,
                           info.st_uid, os.uname().release]  # fmt: skip
    for switch in _USERNS_SWITCHES:
        try:
            with open(switch, encoding="ascii") as handle:
                facts.append(handle.read().strip())
        except OSError:
            facts.append(None)
    return facts


def remembered_reason() -> str | None:
    """:func:`unavailable_reason` for ``convergio health``, which runs often: a probe's
    verdict is kept in ``$CONVERGIO_HOME/cache/sandbox.json`` and used for
    :data:`REMEMBER_S` while the bwrap binary, the kernel and its user-namespace switches
    stay the same. Anything else, or a missing or unreadable file, probes again."""
    bwrap = bwrap_path() if sys.platform.startswith("linux") else None
    if bwrap is None:
        return unavailable_reason()  # no probe to save
    file = paths.cache_dir() / "sandbox.json"
    try:
        facts = _machine_facts(bwrap)
    except OSError:
        return unavailable_reason()
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        kept = json.loads(file.read_text(encoding="utf-8"))
        if kept["facts"] == facts and 0 <= time.time() - kept["at"] < REMEMBER_S:
            reason = kept["reason"]
            if reason is None or isinstance(reason, str):
                return reason
    reason = unavailable_reason()
    with contextlib.suppress(OSError):
        temp = file.with_name(f".sandbox.{os.getpid()}.tmp")
        paths.write_private_text(temp, json.dumps({"facts": facts, "at": time.time(),
                                                   "reason": reason}))  # fmt: skip
        os.replace(temp, file)
    return reason
