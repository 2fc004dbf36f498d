"""Where Convergio keeps its files: home, database, logs, vault, worktrees.

Resolution order follows docs/cli.md: explicit option, then environment variable, then the
default under ``$CONVERGIO_HOME`` (``~/.convergio``).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

# Convergio's files hold prompts, code, agent output and spend: readable by the user only.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


_home: tuple[str | None, str | None, Path] | None = None  # the last answer and its inputs


def home_dir() -> Path:
    """Return ``$CONVERGIO_HOME`` (default ``~/.convergio``); not created here. Asked
    several times by every run: built again only when either variable changed."""
    global _home
    env, user_home = os.environ.get("CONVERGIO_HOME"), os.environ.get("HOME")
    known = _home
    if known is not None and known[0] == env and known[1] == user_home:
        return known[2]
    found = Path(env).expanduser() if env else Path.home() / ".convergio"
    _home = (env, user_home, found)
    return found


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the database path: ``--db``, else ``CONVERGIO_DB``, else the home default."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("CONVERGIO_DB")
    if env:
        return Path(env).expanduser()
    return home_dir() / "convergio.db"


def shipped_config_path() -> Path:
    """Return the default ``orchestrator.yaml`` shipped inside the package."""
    from importlib import resources  # only here: every command imports this module

    return Path(str(resources.files("convergio_tui") / "data" / "orchestrator.yaml"))


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the configuration file to load, in the order docs/cli.md gives."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("CONVERGIO_CONFIG")
    if env:
        return Path(env).expanduser()
    local = Path.cwd() / "orchestrator.yaml"
    if local.is_file():
        return local
    at_home = home_dir() / "orchestrator.yaml"
    if at_home.is_file():
        return at_home
    return shipped_config_path()


def logs_dir() -> Path:
    """Directory for per-run agent logs."""
    return home_dir() / "logs"


def run_log(database_id: str, run_id: int, suffix: str = ".log") -> Path:
    """A run's log (or, with another ``suffix``, its artifacts): one folder per database,
    because run ids restart in every database that shares this home."""
    return logs_dir() / database_id / f"{run_id}{suffix}"


def cache_dir() -> Path:
    """Directory for caches Convergio can rebuild at any time (the validated configuration)."""
    return home_dir() / "cache"


def vault_dir() -> Path:
    """Directory holding the encrypted per-project vault files."""
    return home_dir() / "vault"


def worktrees_dir(configured: str | None = None) -> Path:
    """The root for task worktrees: ``execution.worktree_root`` when ``configured``, else
    ``$CONVERGIO_HOME/worktrees``."""
    return Path(configured).expanduser() if configured else home_dir() / "worktrees"


def run_dirs() -> Path:
    """Where per-run private folders live (the relay's socket); hidden from agents."""
    return home_dir() / "run"


def tighten(path: Path | str, mode: int = PRIVATE_FILE) -> None:
    """Drop the permission bits of ``path`` that ``mode`` lacks (never adds one).

    Silent when ``path`` is missing or not ours to change: tightening is best effort on
    files we did not create.
    """
    with contextlib.suppress(OSError):
        current = stat.S_IMODE(os.stat(path).st_mode)
        if current & ~mode:
            os.chmod(path, current & mode)


def _tighten_fd(fd: int, mode: int = PRIVATE_FILE) -> None:
    with contextlib.suppress(OSError):
        current = stat.S_IMODE(os.fstat(fd).st_mode)
        if current & ~mode:
            os.fchmod(fd, current & mode)


def private_dir(path: Path | str) -> Path:
    """Create ``path`` and its missing parents owner-only (0700, whatever the umask).

    Existing directories are tightened only where they are Convergio's own
    (``$CONVERGIO_HOME`` and below): a project or a configured root elsewhere keeps its mode.
    """
    # Strings and os.path: every run log and artifact is opened through here.
    absolute = os.path.abspath(os.path.expanduser(path))
    missing: list[str] = []
    current = absolute
    while not os.path.exists(current) and current != os.path.dirname(current):
        missing.append(current)
        current = os.path.dirname(current)
    for directory in reversed(missing):
        # The mode is masked by the umask, which can only remove bits: never wider than 0700.
        with contextlib.suppress(FileExistsError):  # another thread made it meanwhile
            os.mkdir(directory, PRIVATE_DIR)
    # Ours are ``$CONVERGIO_HOME`` and what is below it: from ``absolute`` up to the home.
    home = os.path.abspath(home_dir())
    if absolute == home or absolute.startswith(home.rstrip(os.sep) + os.sep):
        directory = absolute
        while True:
            tighten(directory, PRIVATE_DIR)
            if directory == home:
                break
            directory = os.path.dirname(directory)
    return Path(absolute)


def open_private(path: Path | str, flags: int) -> int:
    """``os.open`` of a file Convergio writes (a log, an artifact): created 0600 in a
    private directory, an existing one tightened, and a symlink planted at ``path`` is
    refused (``O_NOFOLLOW``) rather than written through."""
    target = os.path.expanduser(path)
    private_dir(os.path.dirname(os.path.abspath(target)))
    fd = os.open(target, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE)
    _tighten_fd(fd)
    return fd


def write_private_text(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` (replacing its content) readable by the user only."""
    fd = open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding=encoding) as handle:
        handle.write(text)


def create_private_file(path: Path | str) -> None:
    """Create ``path`` empty and 0600 unless it exists (then leave it as it is): for SQLite,
    which gives its -wal and -shm files the mode of the database file."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE))
