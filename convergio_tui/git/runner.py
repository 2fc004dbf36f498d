"""The one way Convergio runs a git command and reads its result: :func:`git`.

Every call goes through :func:`convergio_tui.git.hardening.run` (no hook, fsmonitor,
filter... of the repository runs), under Convergio's own identity, with output decoded
as UTF-8 (an undecodable byte becomes U+FFFD rather than an exception) and paths printed
as they are (``core.quotePath=false``: ``é.txt``, not ``"\\303\\251.txt"``). A command
that fails or times out raises :class:`GitError`, the only git error of the package.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from convergio_tui.git import hardening

# Who Convergio's own commits (task rounds, wave merges) are by, whatever the user's config.
IDENTITY: Mapping[str, str] = {
    "GIT_AUTHOR_NAME": "Convergio", "GIT_AUTHOR_EMAIL": "convergio@localhost",
    "GIT_COMMITTER_NAME": "Convergio", "GIT_COMMITTER_EMAIL": "convergio@localhost",
}  # fmt: skip
TIMEOUT = 120.0  # seconds; no git call Convergio makes should come near it


class GitError(RuntimeError):
    """A git command failed or timed out; the message names it, the folder and git's output."""


class Clock(Protocol):
    """Something that totals the seconds spent waiting for git (Thor's ``CommandClock``)."""

    def add(self, seconds: float) -> None:
        """Add one call's wall time."""


def git(
    cwd: Path,
    *args: str,
    check: bool = True,
    read_only: bool = False,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = TIMEOUT,
    clock: Clock | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run hardened ``git -C cwd args``; raise :class:`GitError` on a non-zero exit if ``check``.

    ``read_only`` promises the command only reads, so git takes no optional lock (a query
    never blocks a concurrent commit in the same worktree). ``input`` is written to git's
    stdin (else stdin is ``/dev/null``). ``env`` is added over :data:`IDENTITY` (another
    identity, say). ``clock``, when given, is told how long the call took. A timeout raises
    :class:`GitError` whatever ``check`` says: there is no result to return.
    """
    # hardening.run reads stdin from /dev/null only when no ``input`` is passed at all.
    stdin = {} if input is None else {"input": input}
    started = time.monotonic()
    try:
        proc = hardening.run(
            cwd, "-c", "core.quotePath=false", *args, read_only=read_only,
            extra_env={**IDENTITY, **(env or {})}, capture_output=True, text=True,
            errors="replace", timeout=timeout, **stdin,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {' '.join(args)} timed out after {timeout:g}s in {cwd}") from exc
    finally:
        if clock is not None:
            clock.add(time.monotonic() - started)
    if check and proc.returncode != 0:
        raise GitError(
            f"git {' '.join(args)} failed in {cwd}: {proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc
