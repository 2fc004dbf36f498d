"""Shared fixtures: an isolated CONVERGIO_HOME, a real SQLite file, the shipped config."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from convergio_tui import paths
from convergio_tui.config.loader import load_config
from convergio_tui.config.schema import Config
from convergio_tui.store.db import close_database, open_database

REPO = Path(__file__).resolve().parent.parent

# Shared fixtures: engine (a sim PATH, a git project, configs, a stand-in Ollama) and
# dashboard (the seeded sample plan).
pytest_plugins = ["engine_fixtures", "tui_fixtures"]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own CONVERGIO_HOME; nothing leaks into ~/.convergio."""
    home = tmp_path / "convergio-home"
    monkeypatch.setenv("CONVERGIO_HOME", str(home))
    for var in ("CONVERGIO_DB", "CONVERGIO_CONFIG", "CONVERGIO_VAULT_KEY", "CLAUDECODE"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def db_file(isolated_home: Path) -> Iterator[Path]:
    """A migrated database file under the isolated home, bound for this thread."""
    path = isolated_home / "convergio.db"
    open_database(path)
    yield path
    close_database()


@pytest.fixture(scope="session")
def shipped_config() -> Config:
    """The configuration shipped in the package."""
    return load_config(paths.shipped_config_path())


def run_cli(*args: str, cwd: Path | None = None, input: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run ``python -m convergio_tui`` as a real subprocess (the installed entry point).
    The timeout only stops a hang: a plan of four real CLIs on a loaded 2-core machine took
    over 120 s."""
    import os

    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "convergio_tui", *args],
        cwd=cwd, input=input, env=full_env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
