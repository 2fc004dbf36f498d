"""What an agent may touch, as data, and the bubblewrap command line that enforces it.

Pure: :mod:`convergio_tui.sandbox.layout` gathers the paths (it is the part that looks
at the disk); this module only orders them and spells them as ``bwrap`` arguments.

The view the agent gets: the whole filesystem read-only, a private ``/tmp``, its own
``/proc`` (it sees only its own processes) and a minimal ``/dev``; hidden paths replaced
by an empty directory (or ``/dev/null`` for a file); writable paths bound read-write.
Mounts are applied parents first, so the most specific path wins; on the same path a
writable bind wins over a hidden one (an explicit ``sandbox.writable`` is a decision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Access(IntEnum):
    """How a path appears in the sandbox; on the same path the higher value wins."""

    HIDDEN_DIR = 0
    HIDDEN_FILE = 1
    READ = 2
    WRITE = 3


@dataclass(frozen=True)
class Mount:
    """One path and how the agent sees it."""

    path: str
    access: Access


@dataclass(frozen=True)
class SandboxSpec:
    """Everything that decides one sandboxed run.

    ``mounts`` are absolute, already resolved paths that exist on the host. ``network``
    False gives the agent its own network namespace with only a loopback interface (the
    relay of :mod:`convergio_tui.sandbox.relay` may carry one endpoint into it).
    """

    workdir: str
    mounts: tuple[Mount, ...] = field(default_factory=tuple)
    network: bool = True


def ordered(mounts: tuple[Mount, ...]) -> list[Mount]:
    """Parents before children; on one path, the strongest access last (it wins)."""
    best: dict[str, Access] = {}
    for mount in mounts:
        if mount.path not in best or mount.access > best[mount.path]:
            best[mount.path] = mount.access
    return [
        Mount(path, access)
        for path, access in sorted(
            best.items(), key=lambda item: (_depth(item[0]), item[1], item[0])
        )
    ]


def _depth(path: str) -> int:
    """``len(PurePosixPath(path).parts)`` of a normalised path, without building one."""
    return path.startswith("/") + sum(1 for part in path.split("/") if part)


def bwrap_argv(spec: SandboxSpec, argv: list[str], bwrap: str = "bwrap") -> list[str]:
    """The ``bwrap`` command that runs ``argv`` inside ``spec``.

    ``--die-with-parent`` and a PID namespace mean nothing the agent starts outlives the
    run or sees another process (``/proc/<pid>/environ`` of the engine included);
    ``--cap-drop ALL`` matters when we run as root: without it the agent could remount
    its read-only binds writable.
    """
    args = [
        bwrap,
        "--die-with-parent",
        "--new-session",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--cap-drop",
        "ALL",
    ]
    if not spec.network:
        args.append("--unshare-net")
    args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for mount in ordered(spec.mounts):
        if mount.access is Access.HIDDEN_DIR:
            args += ["--tmpfs", mount.path]
        elif mount.access is Access.HIDDEN_FILE:
            args += ["--ro-bind", "/dev/null", mount.path]
        elif mount.access is Access.READ:
            args += ["--ro-bind", mount.path, mount.path]
        else:
            args += ["--bind", mount.path, mount.path]
    args += ["--chdir", spec.workdir, "--", *argv]
    return args
