"""Storage faults end cleanly through the real CLI: a lock held by another process, a
damaged file, another application's database and a full disk each end with one line
naming the file and what to do, write nothing half-way, and a later run resumes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from conftest import run_cli
from engine_fixtures import engine_config_dict, write_config

from convergio_tui.store.faults import storage_fault
from convergio_tui.store.migrations import APPLICATION_ID
from convergio_tui.store.queries.probe import probe_database

# Another process holding SQLite's write lock: it takes it when told, holds it until told.
LOCKER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=120, isolation_level=None)
sys.stdin.readline()
con.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
"""

# A full disk without root: SQLite's own page limit, set on every connection the CLI
# opens, at the size the file has then. Growing the file raises SQLITE_FULL for real.
FULL_DISK = """
import sqlite3
_connect = sqlite3.connect
def connect(*args, **kwargs):
    con = _connect(*args, **kwargs)
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
    return con
sqlite3.connect = connect
"""


class Locker:
    """A real second process that takes and holds the database's write lock."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(db)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip

    def lock(self) -> None:
        """Take the lock; return once it is held."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("lock\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        """Roll back and end."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()  # both readline() calls return at end of input
            self.proc.wait(60)


@contextmanager
def write_lock(db: Path, *, now: bool = True) -> Iterator[Locker]:
    """A :class:`Locker` on ``db`` (locked at once with ``now``), always released."""
    locker = Locker(db)
    try:
        if now:
            locker.lock()
        yield locker
    finally:
        locker.release()


def error_lines(stderr: str) -> list[str]:
    """The non-empty lines of ``stderr``; a clean failure has exactly one."""
    return [line for line in stderr.splitlines() if line.strip()]


def setup(tmp_path: Path, repo: Path, ollama: str, tasks: list[dict[str, Any]]) -> list[str]:
    """Config, database and a one-wave plan imported through the CLI; the global options."""
    cfg = write_config(tmp_path / "orchestrator.yaml", engine_config_dict(repo, ollama))
    spec = tmp_path / "plan.yaml"
    spec.write_text(yaml.safe_dump({"name": "feature", "project": "demo",
                                    "waves": [{"name": "only", "tasks": tasks}]}))  # fmt: skip
    opts = ["--config", str(cfg), "--db", str(tmp_path / "c.db")]
    proc = run_cli(*opts, "plan", "import", str(spec))
    assert proc.returncode == 0, proc.stderr
    return opts


def t(code: str, prompt: str, **extra: object) -> dict[str, object]:
    """A task of the spec (P0: claude, a premium provider with reservations)."""
    return {"code": code, "title": f"do {code}", "prompt": prompt, "type": "coding",
            "priority": "P0", **extra}  # fmt: skip


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows read with a plain read-only connection (takes no write lock)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_paid_once(opts: list[str], db: Path) -> None:
    """Nothing left running or reserved, and no run charged twice."""
    assert query(db, "SELECT id FROM run WHERE status = 'running'") == []
    twice = "SELECT run_id FROM ledger WHERE kind = 'charge' GROUP BY run_id HAVING COUNT(*) > 1"
    assert query(db, twice) == []
    budget = json.loads(run_cli(*opts, "budget", "--json").stdout)
    assert budget["reserved_usd"] == 0


def test_read_only_commands_work_while_another_process_writes(
    repo: Path, ollama: str, tmp_path: Path
) -> None:
    opts = setup(tmp_path, repo, ollama, [t("T1", "Fix the bug.")])
    db = tmp_path / "c.db"
    with write_lock(db):
        listed = run_cli(*opts, "plan", "list")
        assert listed.returncode == 0, listed.stderr
        assert "feature" in listed.stdout
        shown = run_cli(*opts, "plan", "show", "feature", "--json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["waves"][0]["tasks"][0]["code"] == "T1"
        budget = run_cli(*opts, "budget")
        assert budget.returncode == 0, budget.stderr
        assert "$0.00 reserved" in budget.stdout
        # A write waits busy_timeout, then says so in one line and writes nothing.
        spec = tmp_path / "plan.yaml"
        # --force: the same file again is a deliberate second import, which must write.
        imported = run_cli(*opts, "plan", "import", str(spec), "--force")
    assert imported.returncode == 1
    (line,) = error_lines(imported.stderr)
    assert "locked" in line and str(db) in line and "run the command again" in line
    assert query(db, "SELECT COUNT(*) FROM plan") == [(1,)]


def test_a_run_locked_out_stops_in_one_line_and_the_next_run_finishes_paying_once(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts = setup(tmp_path, repo, ollama, [
        t("T1", "SIM: delay=3 cost=0.02\nSIM: write a.txt <<<a\\n>>>"),
        t("T2", "SIM: delay=3 cost=0.03\nSIM: write b.txt <<<b\\n>>>", depends_on=["T1"]),
    ])  # fmt: skip
    db = tmp_path / "c.db"
    with write_lock(db, now=False) as locker:
        run = subprocess.Popen([sys.executable, "-m", "convergio_tui", *opts, "run", "feature"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        # The lock is taken while an agent runs: the engine's next write meets it.
        deadline = time.monotonic() + 120
        while not query(db, "SELECT id FROM run WHERE status = 'running' AND pid IS NOT NULL"):
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.1)
        locker.lock()
        out, err = run.communicate(timeout=180)
    assert run.returncode == 1, out + err
    assert "Traceback" not in err
    (line,) = error_lines(err)
    assert line.startswith(f"error: database {db}") and "locked" in line
    assert "resumes" in line
    again = run_cli(*opts, "run", "feature")
    assert again.returncode == 0, again.stdout + again.stderr
    assert query(db, "SELECT status FROM plan") == [("done",)]
    assert_paid_once(opts, db)


def test_damaged_pages_end_in_one_line_naming_the_file(
    repo: Path, ollama: str, tmp_path: Path
) -> None:
    opts = setup(tmp_path, repo, ollama, [t("T1", "Fix the bug.")])
    db = tmp_path / "c.db"
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'task'").fetchone()[0]
    con.close()
    with db.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5\x17 garbage " * (page_size // 10))
    for args in (["plan", "show", "feature"], ["run", "feature"]):
        proc = run_cli(*opts, *args)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        (line,) = error_lines(proc.stderr)
        assert line.startswith(f"error: database {db}: database disk image is malformed")
        assert "restore it from a backup" in line and "--db" in line
    with db.open("r+b") as handle:  # the header and schema too: not a database any more
        handle.write(b"\x00garbage" * (page_size // 4))
    proc = run_cli(*opts, "plan", "list")
    assert proc.returncode == 2
    (line,) = error_lines(proc.stderr)
    assert f"database {db}: file is not a database" in line and "--db" in line


def test_another_applications_database_is_refused_and_left_byte_for_byte(
    tmp_path: Path,
) -> None:
    theirs = tmp_path / "notes.sqlite"
    con = sqlite3.connect(theirs)
    con.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO note (body) VALUES ('keep me')")
    con.commit()
    con.close()
    marked = tmp_path / "marked.sqlite"  # no tables yet, but another application's id
    con = sqlite3.connect(marked)
    con.execute("PRAGMA application_id = 1234")
    con.close()
    lookalike = tmp_path / "ledger.sqlite"  # a table called schema_version is not enough
    con = sqlite3.connect(lookalike)
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at REAL)")
    con.execute("INSERT INTO schema_version VALUES (1, 0)")
    con.execute("CREATE TABLE accounts (id INTEGER, balance REAL)")
    con.commit()
    con.close()
    originals = {foreign: foreign.read_bytes() for foreign in (theirs, marked, lookalike)}
    for foreign, before in originals.items():
        for args in (["plan", "list"], ["budget"], ["init", str(tmp_path / "proj")]):
            proc = run_cli("--db", str(foreign), *args)
            assert proc.returncode == 2, proc.stdout + proc.stderr
            (line,) = error_lines(proc.stderr)
            assert f"database {foreign}" in line and "another application" in line
        assert foreign.read_bytes() == before
        assert not (tmp_path / "proj").exists()  # init wrote no configuration either
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(foreign.name)) == [
            foreign.name
        ]
    probe = probe_database(theirs)  # the dashboard explains it and offers no upgrade
    assert probe.state == "unreadable" and "another application's database" in probe.message
    assert theirs.read_bytes() == originals[theirs]
    ours = tmp_path / "ours.db"
    assert run_cli("--db", str(ours), "plan", "list").returncode == 0
    assert query(ours, "PRAGMA application_id") == [(APPLICATION_ID,)]


def full_disk_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a CLI whose database cannot grow (see :data:`FULL_DISK`)."""
    site = tmp_path / "full-disk"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(FULL_DISK)
    return {"PYTHONPATH": str(site)}


def test_a_full_disk_during_import_rolls_back_and_says_so(
    repo: Path, ollama: str, tmp_path: Path
) -> None:
    opts = setup(tmp_path, repo, ollama, [t("T1", "Fix the bug.")])
    db = tmp_path / "c.db"
    big = tmp_path / "big.yaml"
    tasks = [t(f"B{i}", f"Task {i}: " + "describe the change " * 2500) for i in range(4)]
    big.write_text(yaml.safe_dump({"name": "big", "project": "demo",
                                   "waves": [{"name": "w", "tasks": tasks}]}))  # fmt: skip
    proc = run_cli(*opts, "plan", "import", str(big), env=full_disk_env(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (line,) = error_lines(proc.stderr)
    assert f"database {db}: database or disk is full" in line and "disk full" in line
    assert "rolled back" in line and "cannot rollback" not in line
    assert query(db, "SELECT name FROM plan") == [("feature",)]  # nothing half-written
    assert query(db, "SELECT COUNT(*) FROM task") == [(1,)]
    assert run_cli(*opts, "plan", "import", str(big)).returncode == 0  # space again: it works


def test_a_full_disk_during_a_run_stops_in_one_line_and_the_next_run_resumes(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    # The agent's summary names every file it wrote: long enough to need new pages.
    writes = "\n".join(f"SIM: write {'d' * 100}{i:03}.txt <<<{i}\\n>>>" for i in range(48))
    opts = setup(tmp_path, repo, ollama, [t("T1", f"SIM: cost=0.02\n{writes}")])
    db = tmp_path / "c.db"
    proc = run_cli(*opts, "run", "feature", env=full_disk_env(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = error_lines(proc.stderr)
    assert line.startswith(f"error: database {db}: database or disk is full")
    assert "resumes" in line
    again = run_cli(*opts, "run", "feature")
    assert again.returncode == 0, again.stdout + again.stderr
    assert query(db, "SELECT status FROM plan") == [("done",)]
    assert_paid_once(opts, db)


def test_a_full_disk_outside_the_database_is_named_too() -> None:
    import errno

    fault = storage_fault(OSError(errno.ENOSPC, "No space left on device", "/x/run.log"), "/x/c.db")
    assert fault is not None and fault.exit_code == 1
    assert str(fault).startswith("writing /x/run.log: No space left on device (disk full")
    assert storage_fault(FileNotFoundError(errno.ENOENT, "gone"), "/x/c.db") is None
