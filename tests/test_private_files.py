"""What Convergio writes is the user's alone: the home, the database (and its -wal/-shm),
run logs, result artifacts and the vault are 0700/0600 whatever the umask, and files an
older version left world-readable are tightened when next opened."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from engine_fixtures import dump, engine_config, import_spec, task

from convergio_tui import paths
from convergio_tui.engine.executor import Executor
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Run, database_identity
from convergio_tui.tools.vault import Vault, generate_key


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """umask 000 for the test (and its subprocesses): any mode left to it is 0666/0777."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_init_makes_a_private_home_and_database(isolated_home: Path, tmp_path: Path,
                                                open_umask: None) -> None:  # fmt: skip
    proc = run_cli("init", str(tmp_path / "proj"))
    assert proc.returncode == 0, proc.stderr
    db = isolated_home / "convergio.db"
    assert mode(isolated_home) == 0o700 and mode(db) == 0o600
    assert mode(tmp_path / "proj") == 0o777  # the user's project directory: not ours to change
    open_database(db)  # a second connection keeps -wal and -shm on disk to look at
    try:
        for suffix in ("-wal", "-shm"):
            assert mode(Path(f"{db}{suffix}")) == 0o600
    finally:
        close_database()


def test_loose_files_of_an_older_version_are_tightened(isolated_home: Path,
                                                       tmp_path: Path) -> None:  # fmt: skip
    assert run_cli("init", str(tmp_path / "proj")).returncode == 0
    db = isolated_home / "convergio.db"
    logs = isolated_home / "logs"
    logs.mkdir()
    for path, loose in ((isolated_home, 0o755), (logs, 0o755), (db, 0o644)):
        path.chmod(loose)
    assert run_cli("plan", "list").returncode == 0
    assert mode(isolated_home) == 0o700 and mode(db) == 0o600
    old_log = logs / "7.log"
    old_log.write_text("[out] from an older version\n")
    old_log.chmod(0o644)
    paths.write_private_text(logs / "7.result.txt", "x")
    os.close(paths.open_private(old_log, os.O_WRONLY | os.O_APPEND))
    assert mode(logs) == 0o700 and mode(old_log) == 0o600


def test_a_file_that_is_not_a_database_keeps_its_mode(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    notes.chmod(0o644)
    assert run_cli("--db", str(notes), "plan", "list").returncode == 2
    assert mode(notes) == 0o644


def test_a_symlink_planted_at_a_log_path_is_not_written_through(isolated_home: Path,
                                                                tmp_path: Path) -> None:  # fmt: skip
    target = tmp_path / "elsewhere.txt"
    target.write_text("untouched\n")
    paths.private_dir(paths.logs_dir())
    (paths.logs_dir() / "9.result.txt").symlink_to(target)
    with pytest.raises(OSError):
        paths.write_private_text(paths.logs_dir() / "9.result.txt", "agent output")
    assert target.read_text() == "untouched\n"


def test_a_real_run_leaves_only_private_files(repo: Path, sim_bin: Path, ollama: str,
                                              isolated_home: Path, tmp_path: Path,
                                              open_umask: None) -> None:  # fmt: skip
    open_database(paths.db_path())
    try:
        config = engine_config(repo, ollama)
        plan = import_spec(config, tmp_path, [[
            task("T1", "SIM: write a.txt <<<A\\n>>>"),
            task("R1", "What changed upstream?", type="research", priority="P2"),
        ]])  # fmt: skip
        assert Executor(config, plan).run().status == "done", dump()
        runs = list(Run.select())
    finally:
        close_database()
    logs = paths.logs_dir()
    own = logs / database_identity()  # run ids restart in every database: one folder each
    assert runs and all(Path(r.log_path).parent == own for r in runs)
    artifacts = sorted(own.glob("*.result.txt"))
    assert artifacts, sorted(own.iterdir())
    assert mode(isolated_home) == 0o700 and mode(logs) == 0o700 and mode(own) == 0o700
    assert mode(paths.db_path()) == 0o600
    for path in own.iterdir():
        assert mode(path) == 0o600, path
    assert mode(tmp_path / "wt") == 0o700  # the worktree root Convergio made


def test_the_vault_is_private_from_a_missing_home(isolated_home: Path,
                                                  open_umask: None) -> None:  # fmt: skip
    vault = Vault(key=generate_key())
    vault.set("webapp", "API_KEY", "s3cret")
    assert mode(isolated_home) == 0o700 and mode(vault.directory) == 0o700
    assert mode(vault.path_for("webapp")) == 0o600
