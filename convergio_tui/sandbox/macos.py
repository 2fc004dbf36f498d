"""The macOS equivalent of the bubblewrap sandbox: a ``sandbox-exec`` (Seatbelt) profile.

Written from the same :class:`SandboxSpec` as the Linux command line. In a Seatbelt
profile a later rule wins over an earlier one, so the mounts are emitted in the same
parents-first order bubblewrap applies them. It cannot be run on Linux, where the
project's tests run: the tests check the profile text, not its effect (docs/sandbox.md).
What it does not give: a private PID namespace (``process-info`` of other processes is
denied instead) and a relay (a sensitive run may reach only the loopback endpoint).
"""

from __future__ import annotations

from convergio_tui.sandbox.policy import Access, SandboxSpec, ordered


def _quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def profile(spec: SandboxSpec, endpoint: tuple[str, int] | None = None) -> str:
    """The Seatbelt profile for ``spec``; ``endpoint`` is the one address a run without
    network may still reach (the local provider)."""
    lines = [
        "(version 1)",
        "(allow default)",
        '(deny file-write* (subpath "/"))',
        '(allow file-write* (subpath "/private/tmp") (subpath "/private/var/folders")'
        ' (literal "/dev/null") (literal "/dev/tty"))',
        "(deny process-info* (target others))",
    ]
    for mount in ordered(spec.mounts):
        where = f"(subpath {_quote(mount.path)})"
        if mount.access is Access.HIDDEN_FILE:
            lines.append(f"(deny file-read* file-write* (literal {_quote(mount.path)}))")
        elif mount.access is Access.HIDDEN_DIR:
            lines.append(f"(deny file-read* file-write* {where})")
        elif mount.access is Access.READ:
            lines.append(f"(allow file-read* {where})")
            lines.append(f"(deny file-write* {where})")
        else:
            lines.append(f"(allow file-read* file-write* {where})")
    if not spec.network:
        lines.append("(deny network*)")
        if endpoint is not None:
            lines.append(f'(allow network-outbound (remote ip "localhost:{endpoint[1]}"))')
    return "\n".join(lines) + "\n"


def sandbox_exec_argv(
    spec: SandboxSpec, argv: list[str], endpoint: tuple[str, int] | None
) -> list[str]:
    """``sandbox-exec -p PROFILE argv``; the working directory is set by the caller."""
    return ["sandbox-exec", "-p", profile(spec, endpoint), *argv]
