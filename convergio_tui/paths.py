"""Where Convergio keeps its files: home, database, logs, vault, worktrees.

Resolution order follows CLI.md: explicit option, then environment variable, then the
default under ``$CONVERGIO_HOME`` (``~/.convergio``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def home_dir() -> Path:
    """Return ``$CONVERGIO_HOME`` (default ``~/.convergio``); not created here."""
    env = os.environ.get("CONVERGIO_HOME")
    return Path(env).expanduser() if env else Path.home() / ".convergio"


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
    return Path(str(resources.files("convergio_tui") / "data" / "orchestrator.yaml"))


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the configuration file to load, per the CLI.md search order."""
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
    """Directory for per-run worker logs."""
    return home_dir() / "logs"


def vault_dir() -> Path:
    """Directory holding the encrypted per-project vault files."""
    return home_dir() / "vault"


def worktrees_dir() -> Path:
    """Default root for task worktrees."""
    return home_dir() / "worktrees"
