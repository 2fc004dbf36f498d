"""Worktree pre-flight against real repositories and real `git worktree add`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from convergio_tui.tools.worktree_check import (
    CHECK_NAMES,
    WorktreeReport,
    check_worktree,
    claim_worktree,
    release_worktree,
)

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True
    ).stdout


def commit(repo: Path, name: str, text: str = "x\n") -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"add {name}")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "README.md")
    return repo


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "worktrees"
    root.mkdir()
    return root


@pytest.fixture
def wt(repo: Path, root: Path) -> Path:
    path = root / "t1"
    git(repo, "worktree", "add", "-q", "-b", "convergio/plan/t1", str(path))
    return path


def by_name(report: WorktreeReport) -> dict[str, tuple[bool, str]]:
    return {c.name: (c.ok, c.detail) for c in report.checks}


def test_fresh_worktree_passes_every_check(wt: Path, root: Path) -> None:
    report = check_worktree(wt, allowed_root=root)
    assert [c.name for c in report.checks] == list(CHECK_NAMES)
    assert report.ok, report.failed()
    assert "convergio/plan/t1" in by_name(report)["branch"][1]


def test_not_a_git_repo(tmp_path: Path, root: Path) -> None:
    plain = root / "plain"
    plain.mkdir()
    report = check_worktree(plain, allowed_root=root)
    assert not report.ok
    ok, detail = by_name(report)["git_repo"]
    assert not ok and "not inside a git work tree" in detail
    missing = check_worktree(root / "nope", allowed_root=root)
    assert by_name(missing)["git_repo"] == (False, f"{root / 'nope'}: no such directory")


def test_main_checkout_is_refused(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "feature")
    report = check_worktree(repo, allowed_root=repo.parent)
    ok, detail = by_name(report)["linked_worktree"]
    assert not ok and "main checkout" in detail
    assert by_name(report)["branch"][0]  # on 'feature', so only the linked check fails
    assert [c.name for c in report.failed()] == ["linked_worktree"]


def test_subdirectory_of_a_worktree_is_refused(wt: Path, root: Path) -> None:
    (wt / "sub").mkdir()
    ok, detail = by_name(check_worktree(wt / "sub", allowed_root=root))["linked_worktree"]
    assert not ok and "subdirectory" in detail


def test_protected_branch_and_detached_head(repo: Path, root: Path) -> None:
    git(repo, "switch", "-q", "-c", "dev")  # frees 'main' for a worktree
    on_main = root / "on-main"
    git(repo, "worktree", "add", "-q", str(on_main), "main")
    ok, detail = by_name(check_worktree(on_main, allowed_root=root))["branch"]
    assert not ok and "protected branch 'main'" in detail
    assert by_name(check_worktree(on_main, allowed_root=root, protected_branch="release"))[
        "branch"
    ][0]
    detached = root / "detached"
    git(repo, "worktree", "add", "-q", "--detach", str(detached), "main")
    ok, detail = by_name(check_worktree(detached, allowed_root=root))["branch"]
    assert not ok and "detached HEAD" in detail


def test_worktree_held_by_another_live_task(wt: Path, root: Path) -> None:
    assert not by_name(check_worktree(wt, allowed_root=root, busy_paths=[wt]))["not_in_use"][0]
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        claim_worktree(wt, holder.pid)
        ok, detail = by_name(check_worktree(wt, allowed_root=root))["not_in_use"]
        assert not ok and str(holder.pid) in detail
    finally:
        holder.kill()
        holder.wait()
    ok, detail = by_name(check_worktree(wt, allowed_root=root))["not_in_use"]
    assert ok and "stale" in detail
    # The claim lives in git's private dir: the tree stays clean.
    assert by_name(check_worktree(wt, allowed_root=root))["clean"][0]
    release_worktree(wt)
    assert by_name(check_worktree(wt, allowed_root=root))["not_in_use"] == (
        True,
        "no other live task holds it",
    )


def test_dirty_tree_unless_only_the_tasks_changes(wt: Path, root: Path) -> None:
    (wt / "README.md").write_text("changed\n")
    (wt / "app").mkdir()
    (wt / "app" / "new.py").write_text("print(1)\n")
    ok, detail = by_name(check_worktree(wt, allowed_root=root))["clean"]
    assert not ok and "README.md" in detail and "app/new.py" in detail
    allowed = check_worktree(wt, allowed_root=root, allowed_paths=["README.md", "app/"])
    assert by_name(allowed)["clean"][0]
    partly = check_worktree(wt, allowed_root=root, allowed_paths=["app/*.py"])
    ok, detail = by_name(partly)["clean"]
    assert not ok and detail == "changes outside the task: README.md"


def test_behind_base_by_more_than_the_limit(repo: Path, wt: Path, root: Path) -> None:
    for i in range(3):
        commit(repo, f"f{i}.txt")
    ok, detail = by_name(check_worktree(wt, allowed_root=root, max_behind=2))["up_to_date"]
    assert not ok and "3 commits behind 'main'" in detail
    assert by_name(check_worktree(wt, allowed_root=root, max_behind=3))["up_to_date"][0]
    unknown = check_worktree(wt, allowed_root=root, base_ref="no-such-branch")
    ok, detail = by_name(unknown)["up_to_date"]
    assert not ok and "not a known commit" in detail


def test_outside_the_allowed_root(repo: Path, tmp_path: Path, root: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    git(repo, "worktree", "add", "-q", "-b", "other", str(elsewhere))
    report = check_worktree(elsewhere, allowed_root=root)
    assert [c.name for c in report.failed()] == ["allowed_root"]
    assert "outside the allowed root" in by_name(report)["allowed_root"][1]


def test_default_root_is_convergio_home(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("CONVERGIO_HOME", str(home))
    inside = home / "worktrees" / "t9"
    git(repo, "worktree", "add", "-q", "-b", "t9", str(inside))
    assert check_worktree(inside).ok


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convergio_tui", "worktree", "check", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_json_and_exit_codes(repo: Path, wt: Path, root: Path) -> None:
    good = run_cli(str(wt), "--root", str(root), "--max-behind", "5", "--json")
    assert good.returncode == 0, good.stderr
    doc = json.loads(good.stdout)
    assert doc["ok"] is True
    assert [c["name"] for c in doc["checks"]] == list(CHECK_NAMES)
    assert set(doc["checks"][0]) == {"name", "ok", "detail"}
    bad = run_cli(str(repo), "--root", str(root), "--max-behind", "5")
    assert bad.returncode == 1
    assert "FAIL linked_worktree" in bad.stdout and "worktree refused" in bad.stdout
    missing = run_cli(str(root / "missing"), "--root", str(root), "--max-behind", "5")
    assert missing.returncode == 2
