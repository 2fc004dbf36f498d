"""The quick commands (cli/quick.py): ``budget``, ``health``, ``route`` and ``plan show`` answered
without click, peewee or pydantic print exactly what the click commands print; anything
they cannot answer (a bad option, a check due, no database yet, a foreign or newer file,
a broken configuration) goes to the click command, which says what is wrong; and they
never write. Real subprocesses on a real SQLite file."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convergio_tui import paths
from convergio_tui.store.db import close_database
from convergio_tui.store.models import Ledger, Plan, Project, ProviderHealth, Run, Task, Wave

HEAVY = {"click", "peewee", "pydantic", "yaml", "textual"}
# The console script's entry point; prints the top-level packages it loaded to stderr.
QUICK = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('LOADED', *sorted({m.split('.')[0] for m in sys.modules}),"
    " file=sys.stderr))\n"
    "from convergio_tui.cli import main\n"
    "main(sys.argv[1:])\n"
)
# The click group alone: what the command printed before the quick path existed.
CLICK = "import sys\nfrom convergio_tui.cli.group import main\nmain(sys.argv[1:])\n"
ESC = "\x1b]0;owned\x07\x1b[2J"  # a title change and a screen clear


def run(code: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)  # fmt: skip


def loaded(done: subprocess.CompletedProcess[str]) -> set[str]:
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED"))
    return set(line.split()[1:])


def without_probe(stderr: str) -> str:
    return "\n".join(x for x in stderr.splitlines() if not x.startswith("LOADED"))


@pytest.fixture
def home(tmp_path: Path, db_file: Path) -> tuple[list[str], Path]:
    """A configuration (cached by its first use), and a database with today's spend, a
    reservation in flight and a fresh health check of every provider; the plan's name and
    a provider's detail carry escape sequences."""
    config = tmp_path / "orchestrator.yaml"
    config.write_text(paths.shipped_config_path().read_text())
    project = Project.create(name="demo", path=str(tmp_path))
    plan = Plan.create(project=project, name=f"launch{ESC}")
    wave = Wave.create(plan=plan, seq=1, name="w1")
    task = Task.create(plan=plan, wave=wave, code="T1", title="t", prompt="p", type="coding")
    done = Run.create(task=task, provider="claude", model="claude-sonnet-4-5")
    live = Run.create(task=task, provider="copilot", model="gpt-5")
    at = time.time()
    Ledger.create(ts=at - 60, provider="claude", model="claude-sonnet-4-5", run=done,
                  kind="charge", usd=1.25, premium=True)  # fmt: skip
    Ledger.create(ts=at - 30, provider="copilot", model="gpt-5", run=live, kind="reserve",
                  usd=0.8, premium=True)  # fmt: skip
    for name in ("claude", "copilot", "gemini"):
        ProviderHealth.create(provider=name, checked_at=at, state="up", latency_ms=12.5,
                              detail="ok", version="1.0")  # fmt: skip
    ProviderHealth.create(provider="opencode", checked_at=at, state="cooldown", latency_ms=None,
                          detail=f"rate limit{ESC} — fix: wait", consecutive_failures=2,
                          cooldown_until=at + 3600)  # fmt: skip
    close_database()
    opts = ["--config", str(config), "--db", str(db_file)]
    warm = run(QUICK, [*opts, "route", "--type", "coding"], tmp_path)  # fills the cache
    assert warm.returncode == 0, warm.stderr
    return opts, tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["budget"],
        ["budget", "--json"],
        ["plan", "show", "1"],
        ["plan", "show", "--json", "1"],
        ["health"],
        ["health", "--json"],
        ["route", "--type", "coding"],
        ["route", "--type=docs", "--priority", "P0", "--privacy", "sensitive", "--json"],
        [
            "route",
            "--json",
            "--type",
            "coding",
            "--down",
            "copilot",
            "--down=claude",
            "--spent",
            "9.5",
            "--prompt-chars",
            "4000",
        ],
        [
            "route",
            "--type",
            "research",
            "--agent",
            "gemini",
            "--priority",
            "P3",
            "--priority",
            "P2",
        ],
    ],
)
def test_quick_commands_print_what_click_prints_without_its_imports(
    home: tuple[list[str], Path], args: list[str]
) -> None:
    opts, cwd = home
    quick = run(QUICK, [*opts, *args], cwd)
    slow = run(CLICK, [*opts, *args], cwd)
    assert quick.returncode == slow.returncode == 0, quick.stderr + slow.stderr
    assert not loaded(quick) & HEAVY, loaded(quick)
    assert quick.stdout == slow.stdout
    assert "\x1b" not in quick.stdout and "\x07" not in quick.stdout  # neutralised


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["route", "--type", "nope"], "Invalid value for '--type'"),
        (["route", "--type", "coding", "--down", "nobody"], "unknown provider 'nobody'"),
        (["route", "--priority", "P1"], "Missing option '--type'"),
        (["route", "--type", "coding", "--spent", "lots"], "'lots' is not a valid float"),
        (["budget", "--bogus"], "No such option '--bogus'"),
        (["plan", "show", "nosuch"], "no plan 'nosuch'"),
        (["health", "--json", "extra"], "Got unexpected extra argument"),
    ],
)
def test_what_the_quick_path_cannot_answer_click_answers(
    home: tuple[list[str], Path], args: list[str], says: str
) -> None:
    opts, cwd = home
    quick = run(QUICK, [*opts, *args], cwd)
    assert quick.returncode == 2 and says in quick.stderr, quick.stderr
    assert "click" in loaded(quick)
    slow = run(CLICK, [*opts, *args], cwd)
    assert (quick.stdout, without_probe(quick.stderr)) == (slow.stdout, slow.stderr.rstrip("\n"))


def test_a_due_check_or_a_new_database_takes_the_full_path(tmp_path: Path) -> None:
    config = tmp_path / "orchestrator.yaml"
    config.write_text(paths.shipped_config_path().read_text())
    db = tmp_path / "new.db"
    opts = ["--config", str(config), "--db", str(db)]

    first = run(QUICK, [*opts, "budget", "--json"], tmp_path)
    assert first.returncode == 0 and '"spent_usd": 0.0' in first.stdout
    assert "peewee" in loaded(first) and db.is_file()  # created and migrated

    # No provider was ever checked: `health` checks them (the CLIs are not installed
    # here, so each is down, "missing"), and records what it found.
    checked = run(QUICK, [*opts, "health", "--json"], tmp_path)
    assert checked.returncode == 0 and '"reason": "missing"' in checked.stdout
    assert "peewee" in loaded(checked)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT COUNT(*) FROM provider_health").fetchone()[0]
    con.close()
    assert rows == 4
    again = run(QUICK, [*opts, "health", "--json"], tmp_path)  # now in their cooldowns
    assert again.returncode == 0 and not loaded(again) & HEAVY


def test_the_quick_path_reads_and_never_writes(home: tuple[list[str], Path]) -> None:
    """The database keeps every byte; SQLite's reader files (-wal, -shm), which a reader
    of a WAL database may create, hold nothing new and are the user's only."""
    opts, cwd = home
    db = Path(opts[3])
    before = db.read_bytes()
    wal = Path(f"{db}-wal")
    logged = wal.read_bytes() if wal.exists() else b""
    for args in (["budget"], ["health", "--json"], ["route", "--type", "coding"]):
        done = run(QUICK, [*opts, *args], cwd)
        assert done.returncode == 0 and not loaded(done) & HEAVY
    assert db.read_bytes() == before
    assert (wal.read_bytes() if wal.exists() else b"") == logged
    for file in db.parent.glob(f"{db.name}*"):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def execute(db: Path, *statements: str) -> None:
    """Run ``statements`` on ``db`` with a plain connection and commit."""
    con = sqlite3.connect(db)
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


def test_a_foreign_or_newer_database_is_refused_by_the_full_path(tmp_path: Path) -> None:
    config = tmp_path / "orchestrator.yaml"
    config.write_text(paths.shipped_config_path().read_text())
    foreign = tmp_path / "other.db"
    execute(foreign, "PRAGMA application_id = 1234", "CREATE TABLE notes (body TEXT)")
    before = foreign.read_bytes()
    done = run(QUICK, ["--config", str(config), "--db", str(foreign), "budget"], tmp_path)
    assert done.returncode == 2 and "application_id" in done.stderr, done.stderr
    assert foreign.read_bytes() == before

    newer = tmp_path / "newer.db"
    made = run(QUICK, ["--config", str(config), "--db", str(newer), "budget"], tmp_path)
    assert made.returncode == 0
    execute(newer, "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")
    done = run(QUICK, ["--config", str(config), "--db", str(newer), "budget"], tmp_path)
    assert done.returncode == 2 and "99" in done.stderr, done.stderr


def test_a_broken_configuration_is_reported_by_file_and_line(
    tmp_path: Path, isolated_home: Path
) -> None:
    config = tmp_path / "orchestrator.yaml"
    text = paths.shipped_config_path().read_text()
    config.write_text(text.replace("ttl_s: 60", "ttl_s: -1", 1))
    line = text.splitlines().index(next(x for x in text.splitlines() if "ttl_s: 60" in x)) + 1
    for args in (["budget"], ["health"], ["route", "--type", "coding"]):
        done = run(QUICK, ["--config", str(config), *args], tmp_path)
        assert done.returncode == 2, done.stderr
        assert f"{config}:{line}" in done.stderr and "health.ttl_s" in done.stderr
    assert not (isolated_home / "convergio.db").exists()  # nothing half-done


def test_a_report_reads_one_state_while_an_engine_commits(home: tuple[list[str], Path]) -> None:
    """Inside ``snapshot`` every read sees the database as it was when the first one ran:
    a charge committed meanwhile (by another connection, as an engine would) shows in the
    next report, never in half of this one."""
    from convergio_tui.store import ledger_sql
    from convergio_tui.store.read_only import open_read_only, snapshot

    db = Path(home[0][3])
    con = open_read_only(db)
    assert con is not None
    day = (time.time() - 86400, time.time() + 86400)
    with snapshot(con):
        before = ledger_sql.premium_spent(con, *day)
        execute(db, "INSERT INTO ledger (ts, provider, model, run_id, kind, usd, premium,"
                    " premium_requests, ai_credits) VALUES"
                    f" ({time.time()}, 'claude', 'm', NULL, 'charge', 2.0, 1, 0, 0)")  # fmt: skip
        assert ledger_sql.premium_spent(con, *day) == before
        assert ledger_sql.spent_by_provider(con, *day)["claude"] == pytest.approx(before)
    assert ledger_sql.premium_spent(con, *day) == pytest.approx(before + 2.0)
    con.close()
