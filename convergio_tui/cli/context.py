"""What one invocation of ``convergio`` shares between its parts: resolved paths, the
configuration (loaded on first use) and the database. No click here: the quick commands
(cli/quick.py) use it without click.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from convergio_tui import paths

if TYPE_CHECKING:
    from convergio_tui.config.schema import Config


class CliContext:
    """Per-invocation state shared by subcommands: resolved paths, lazy config and db."""

    def __init__(self, config_file: str | None, db_file: str | None) -> None:
        self.config_path: Path = paths.config_path(config_file)
        self.db_path: Path = paths.db_path(db_file)
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        """The validated configuration; raises ``ConfigError`` (exit 2) when invalid."""
        if self._config is None:
            from convergio_tui.config.cache import load_cached

            self._config = load_cached(self.config_path)
        return self._config

    def open_db(self) -> None:
        """Open (creating and migrating if needed) the database for this invocation."""
        from convergio_tui.store.db import open_database

        open_database(self.db_path)
