"""Names that cannot collide, and an engine that touches only what it made: two databases
on one repository each run their plan 1 side by side; a worktree or namespace someone else
made at our path is refused untouched; old databases are migrated (docs/worktrees.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import peewee as pw
import pytest
from engine_fixtures import dump, engine_config, git, import_spec, sim_calls, task, uid

from convergio_tui.engine import ownership
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.ownership import Owner
from convergio_tui.store import migrations, queries
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Plan, Project, Task, Wave, database_identity
from convergio_tui.thor import escalations

SCHEMA_V2 = Path(__file__).with_name("schema_v2") / "convergio.sql"


def tips(repo: Path, prefix: str) -> dict[str, str]:
    """Branch -> commit for every branch under ``prefix``."""
    out = git(repo, "for-each-ref", "--format=%(refname:short) %(objectname)", prefix)
    return dict(line.split() for line in out.splitlines())


def test_two_databases_on_one_repository_keep_to_their_own_branches_and_worktrees(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    # Database A: its plan 1 fails every round, is escalated and keeps its worktree.
    open_database(tmp_path / "a.db")
    (tmp_path / "a").mkdir()
    plan_a = import_spec(config, tmp_path / "a", [
        [task("T1", "SIM: mode=fail\nSIM: write a.txt <<<from A\\n>>>")],
    ])  # fmt: skip
    uid_a, db_a = uid(plan_a), database_identity()
    assert Executor(config, plan_a).run().exit_code == 1, dump()
    worktree_a = tmp_path / "wt" / uid_a / "T1"
    assert (worktree_a / "a.txt").read_text() == "from A\n"
    head_a = git(worktree_a, "rev-parse", "HEAD")
    branches_a = tips(repo, f"refs/heads/convergio/{uid_a}/")
    close_database()

    # Database B: also plan 1, also task T1, same repository and worktree root.
    open_database(tmp_path / "b.db")
    plan_b = import_spec(config, tmp_path, [[task("T1", "SIM: write b.txt <<<from B\\n>>>")]])
    uid_b = uid(plan_b)
    assert (plan_a, plan_b) == (1, 1) and uid_a != uid_b
    assert Executor(config, plan_b).run().status == "done", dump()
    assert git(repo, "show", f"convergio/{uid_b}/wave-1:b.txt") == "from B\n"
    close_database()

    # Nothing of A's was touched: its worktree, its work in it, its branches.
    assert (worktree_a / "a.txt").read_text() == "from A\n"
    assert git(worktree_a, "rev-parse", "HEAD") == head_a
    assert tips(repo, f"refs/heads/convergio/{uid_a}/") == branches_a
    assert ownership.worktree_marker(worktree_a) == ownership.Marker(db_a, uid_a, "T1")

    # A person approves A's escalated task: A completes on its own branches.
    open_database(tmp_path / "a.db")
    (pending,) = queries.pending()
    escalations.decide(pending.id, "approve", "alice")
    assert Executor(config, plan_a).run().status == "done", dump()
    assert git(repo, "show", f"convergio/{uid_a}/wave-1:a.txt") == "from A\n"
    assert "b.txt" not in git(repo, "ls-tree", "--name-only", f"convergio/{uid_a}/wave-1")
    assert "a.txt" not in git(repo, "ls-tree", "--name-only", f"convergio/{uid_b}/wave-1")
    close_database()


@pytest.mark.parametrize("kind", ["other database", "no marker, other branch", "plain folder"])
def test_something_not_ours_at_our_worktree_path_is_never_reset(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path, kind: str
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write a.txt <<<a\\n>>>")]])
    path = tmp_path / "wt" / uid(plan) / "T1"
    path.parent.mkdir(parents=True)
    branch = f"convergio/{uid(plan)}/T1/work" if kind == "other database" else "someone/else"
    if kind == "plain folder":
        path.mkdir()
    else:
        git(repo, "worktree", "add", "-q", "-b", branch, str(path), "main")
    if kind == "other database":  # even on the very branch name we would use
        ownership.stamp_worktree(path, Owner("another-database", uid(plan)), "T1")
    (path / "precious.txt").write_text("uncommitted work\n")

    summary = Executor(config, plan).run()

    t1 = Task.get(Task.code == "T1")
    assert (summary.exit_code, t1.status) == (1, "blocked"), dump()
    assert str(path) in (t1.blocked_reason or "") and "untouched" in (t1.blocked_reason or "")
    if kind == "other database":
        assert "another-database" in (t1.blocked_reason or "")
    assert (path / "precious.txt").read_text() == "uncommitted work\n"
    assert sim_calls(sim_bin) == []  # no agent ran
    if kind != "plain folder":
        assert git(path, "symbolic-ref", "--short", "HEAD").strip() == branch


def test_a_namespace_another_database_claimed_blocks_the_wave_untouched(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write a.txt <<<a\\n>>>")]])
    ownership.claim_namespace(repo / ".git", Owner("another-database", uid(plan)))
    summary = Executor(config, plan).run()
    assert summary.exit_code == 1 and "another-database" in summary.message, dump()
    assert Wave.get().status == "blocked" and Wave.get().branch is None
    assert tips(repo, "refs/heads/convergio/") == {}  # no branch made
    assert sim_calls(sim_bin) == []


def test_a_worktree_left_without_its_marker_by_a_crash_is_taken_back(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    # Killed between `git worktree add` and writing the marker: on our branch, in our
    # claimed namespace. The next run adopts it and completes.
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write a.txt <<<a\\n>>>")]])
    u = uid(plan)
    ownership.claim_namespace(repo / ".git", Owner(database_identity(), u))
    git(repo, "branch", f"convergio/{u}/wave-1", "main")
    Wave.update(branch=f"convergio/{u}/wave-1").execute()
    path = tmp_path / "wt" / u / "T1"
    git(repo, "worktree", "add", "-q", "-b", f"convergio/{u}/T1/work", str(path), "main")
    assert ownership.worktree_marker(path) is None
    assert Executor(config, plan).run().status == "done", dump()
    assert git(repo, "show", f"convergio/{u}/wave-1:a.txt") == "a\n"


def test_a_plan_from_before_uids_keeps_its_names_and_claims_them(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    # What the migration leaves for a plan that had started: uid = its id, its recorded
    # wave branch and an unmarked worktree on `convergio/1/...`, no namespace claim yet.
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write a.txt <<<a\\n>>>")]])
    Plan.update(uid=str(plan)).where(Plan.id == plan).execute()
    git(repo, "branch", "convergio/1/wave-1", "main")
    Wave.update(branch="convergio/1/wave-1").execute()
    path = tmp_path / "wt" / "1" / "T1"
    git(repo, "worktree", "add", "-q", "-b", "convergio/1/T1/work", str(path), "main")
    Task.update(branch="convergio/1/T1/work", worktree=str(path), status="queued").execute()
    assert Executor(config, plan).run().status == "done", dump()
    assert git(repo, "show", "convergio/1/wave-1:a.txt") == "a\n"
    assert ownership.namespace_is_ours(repo / ".git", Owner(database_identity(), "1"))
    assert {c["cwd"] for c in sim_calls(sim_bin)} == {str(path)}


def test_migration_gives_old_plans_uids_and_projects_one_row_per_path(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    raw = sqlite3.connect(db)
    raw.executescript(SCHEMA_V2.read_text())  # a real v2 database: 3 plans, 3 projects
    raw.close()
    open_database(db)
    try:
        version = migrations.current_version(Plan._meta.database)
        assert version == migrations.SCHEMA_VERSION
        plans = {p.name: p for p in Plan.select()}
        # Started (recorded branches and worktree): keeps `convergio/1/...` as its names.
        assert plans["started"].uid == "1"
        fresh, other = plans["fresh"].uid, plans["other"].uid
        assert fresh != other and all(len(u) == 10 and u[0].isalpha() for u in (fresh, other))
        # Two rows shared /srv/code/webapp: one project now, the strictest of both.
        web = Project.get(Project.path == "/srv/code/webapp")
        assert (web.name, web.privacy, web.allowed_providers) == (
            "webapp",
            "sensitive",
            ["opencode"],
        )
        assert plans["fresh"].project_id == web.id and Project.select().count() == 2
        identity = database_identity()
        with pytest.raises(pw.IntegrityError):
            Project.create(name="again", path="/srv/code/webapp")
        Project.create(name="webapp", path="/elsewhere/webapp")  # names may repeat
        with pytest.raises(pw.IntegrityError):
            Plan.create(project=web, name="dup", uid="1")
        close_database()
        open_database(db)
        assert database_identity() == identity  # written once
    finally:
        close_database()
    other_db = tmp_path / "new.db"
    open_database(other_db)
    try:
        assert database_identity() != identity
    finally:
        close_database()
