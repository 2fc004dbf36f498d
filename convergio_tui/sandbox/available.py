"""Whether agents can be sandboxed here, and the one line that says what to do if not."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading

INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install "
    "bubblewrap) or set `sandbox: {mode: off}` in orchestrator.yaml to run agents unsandboxed"
)
_PROBE_TIMEOUT_S = 30.0
_cache: dict[str, str | None] = {}
_lock = threading.Lock()


def bwrap_path() -> str | None:
    """The ``bwrap`` executable on PATH, or None."""
    return shutil.which("bwrap")


def _probe(bwrap: str) -> str | None:
    """Run a trivial sandbox once: None when it works, else why not."""
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
        if shutil.which("sandbox-exec") is None:
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
