"""Nothing is deleted through a symlink or outside the worktree root: not by the engine's
worktree handling, not by Thor's scratch checkout, not in a real run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from engine_fixtures import dump, engine_config, git, import_spec, sim_calls, task, uid

from convergio_tui.engine import gitops, worktrees
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.ownership import Owner
from convergio_tui.safe_fs import UnsafePathError, check_inside, remove_empty_dir, safe_rmtree
from convergio_tui.store.models import Task
from convergio_tui.thor import git as g

BRANCH = "convergio/1/T1/work"
OWN = {"owner": Owner("test-db", "1"), "task": "T1"}


@pytest.fixture
def user_data(tmp_path: Path) -> Path:
    """A directory of the user's, outside every root, with a file and a subfolder."""
    data = tmp_path / "user-data"
    (data / "T1" / "notes").mkdir(parents=True)
    (data / "precious.txt").write_text("keep me\n")
    (data / "T1" / "notes" / "n.txt").write_text("keep me too\n")
    return data


def intact(data: Path) -> bool:
    """True when the user's data is all still there."""
    return (data / "precious.txt").read_text() == "keep me\n" and (
        data / "T1" / "notes" / "n.txt"
    ).read_text() == "keep me too\n"


def test_a_symlink_at_the_worktree_path_is_refused(
    repo: Path, tmp_path: Path, user_data: Path
) -> None:
    root = tmp_path / "wt"
    (root / "1").mkdir(parents=True)
    path = root / "1" / "T1"
    path.symlink_to(user_data)
    with pytest.raises(gitops.UnsafeWorktreeError, match="symbolic link"):
        worktrees.ensure_worktree(repo, path, BRANCH, "main", root=root, **OWN)
    with pytest.raises(gitops.UnsafeWorktreeError, match="symbolic link"):
        worktrees.remove_worktree(repo, path, root=root, branch=BRANCH, **OWN)
    assert intact(user_data) and path.is_symlink()


def test_a_symlinked_parent_directory_is_refused(
    repo: Path, tmp_path: Path, user_data: Path
) -> None:
    # <root>/1 -> user data, which holds a "T1" folder with no .git: the old code took it
    # for a half-made worktree and removed it.
    root = tmp_path / "wt"
    root.mkdir()
    (root / "1").symlink_to(user_data)
    path = root / "1" / "T1"
    with pytest.raises(gitops.UnsafeWorktreeError, match="symbolic link"):
        worktrees.ensure_worktree(repo, path, BRANCH, "main", root=root, **OWN)
    with pytest.raises(gitops.UnsafeWorktreeError):
        worktrees.remove_worktree(repo, path, root=root, branch=BRANCH, **OWN)
    with pytest.raises(UnsafePathError):
        safe_rmtree(path, root)
    assert intact(user_data)
    assert git(repo, "branch", "--list", BRANCH) == ""  # nothing was started


def test_paths_outside_or_at_the_root_are_refused(tmp_path: Path, user_data: Path) -> None:
    root = tmp_path / "wt"
    root.mkdir()
    for bad in (user_data, root, root / ".." / "user-data", tmp_path):
        with pytest.raises(UnsafePathError):
            safe_rmtree(bad, root)
    assert remove_empty_dir(root, root) is False and root.is_dir()
    assert intact(user_data)


def test_safe_rmtree_deletes_inside_the_root_and_keeps_symlink_targets(
    tmp_path: Path, user_data: Path
) -> None:
    # The root itself may be a symlink (configuration); links *inside* the tree are
    # removed as links, their targets untouched.
    real_root = tmp_path / "real-root"
    (real_root / "1" / "T1" / "sub").mkdir(parents=True)
    (real_root / "1" / "T1" / "sub" / "f.txt").write_text("x")
    (real_root / "1" / "T1" / "link").symlink_to(user_data)
    root = tmp_path / "root-link"
    root.symlink_to(real_root)
    assert check_inside(root / "1" / "T1", root) == real_root / "1" / "T1"
    safe_rmtree(root / "1" / "T1", root)
    assert not (real_root / "1" / "T1").exists() and intact(user_data)
    safe_rmtree(root / "1" / "T1", root)  # already gone: nothing to do
    assert remove_empty_dir(root / "1", root) and not (real_root / "1").exists()


def test_thor_scratch_checkout_is_not_removed_through_a_swapped_symlink(
    repo: Path, user_data: Path
) -> None:
    with (
        pytest.raises(UnsafePathError, match="symbolic link"),
        g.temp_worktree(repo, "main") as scratch,
    ):
        parent = scratch.parent
        moved = parent.with_name(parent.name + "-moved")
        parent.rename(moved)
        parent.symlink_to(user_data)  # a gate's command swaps Thor's folder for a link
    assert intact(user_data) and parent.is_symlink()
    parent.unlink()
    safe_rmtree(moved, moved.parent)
    git(repo, "worktree", "prune")


def test_thor_scratch_checkout_is_removed_normally(repo: Path) -> None:
    with g.temp_worktree(repo, "main") as scratch:
        assert (scratch / "app.py").is_file()
    assert not scratch.parent.exists()
    assert git(repo, "worktree", "list").count("\n") == 1


def test_a_run_refuses_a_planted_worktree_symlink_and_keeps_the_user_data(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path, user_data: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write a.txt <<<A\\n>>>")]])
    plan_dir = tmp_path / "wt" / uid(plan)  # engine_config's worktree root is <tmp>/wt
    plan_dir.mkdir(parents=True)
    os.symlink(user_data, plan_dir / "T1")
    Executor(config, plan).run()
    t1 = Task.get(Task.code == "T1")
    assert t1.status == "blocked", dump()
    assert "symbolic link" in (t1.blocked_reason or ""), dump()
    assert sim_calls(sim_bin) == []  # the agent never started
    assert intact(user_data)
