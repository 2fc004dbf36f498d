"""Every git call Convergio makes is hardened: a repository an agent has booby-trapped
(hooks, core.fsmonitor, filters, textconv, external diff, pager, signing, merge driver,
core.worktree) runs none of its commands through the engine, Thor or the pre-flight."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from engine_fixtures import git, make_repo

from convergio_tui.engine import gitops, worktrees
from convergio_tui.engine.ownership import Owner
from convergio_tui.git import hardening
from convergio_tui.thor import git as g
from convergio_tui.tools.harden.files import list_files
from convergio_tui.tools.worktree_check import check_worktree

HOOKS = (
    "post-checkout", "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit",
    "reference-transaction", "post-merge", "pre-merge-commit", "post-rewrite", "pre-auto-gc",
    "post-index-change",
)  # fmt: skip
WAVE, TASK = "convergio/1/wave-1", "convergio/1/T1/work"
OWN = {"owner": Owner("test-db", "1"), "task": "T1"}  # who made the task worktree


def _script(path: Path, log: Path, name: str, tail: str = "") -> Path:
    """An executable that records ``name`` in ``log`` (then runs ``tail``)."""
    path.write_text(f'#!/bin/sh\necho {name} >> "{log}"\n{tail}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def plant_traps(repo: Path, tmp_path: Path) -> Path:
    """Booby-trap ``repo`` as an agent could; the file every trap writes to."""
    log = tmp_path / "traps.log"
    bin_dir = tmp_path / "trap-bin"
    bin_dir.mkdir()
    for hook in HOOKS:
        _script(repo / ".git" / "hooks" / hook, log, f"hook:{hook}")
    conv = _script(bin_dir / "conv", log, "textconv", 'cat "$1"')
    config = {
        "core.fsmonitor": _script(bin_dir / "fsmonitor", log, "fsmonitor"),
        "filter.trap.clean": _script(bin_dir / "clean", log, "filter-clean", "cat"),
        "filter.trap.smudge": _script(bin_dir / "smudge", log, "filter-smudge", "cat"),
        "filter.trap.required": "true",
        "diff.trap.textconv": conv,
        "diff.external": _script(bin_dir / "extdiff", log, "external-diff"),
        "merge.trap.driver": _script(bin_dir / "merge", log, "merge-driver", "exit 1"),
        "core.pager": _script(bin_dir / "pager", log, "pager", "cat"),
        "gpg.program": _script(bin_dir / "gpg", log, "gpg", "exit 1"),
        "commit.gpgSign": "true",
        "log.showSignature": "true",
    }
    for key, value in config.items():
        git(repo, "config", key, str(value))
    info = repo / ".git" / "info"
    info.mkdir(exist_ok=True)
    (info / "attributes").write_text("* filter=trap diff=trap merge=trap\n")
    return log


def _fired(log: Path) -> list[str]:
    fired = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return fired


@pytest.fixture
def trapped(tmp_path: Path) -> tuple[Path, Path]:
    """A repository on main (with a wave branch) booby-trapped after its first commit."""
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n", "app.py": "print(1)\n"})
    git(repo, "branch", WAVE, "main")
    return repo, plant_traps(repo, tmp_path)


def test_the_traps_fire_under_plain_git(trapped: tuple[Path, Path], tmp_path: Path) -> None:
    # Without this, the test below could pass because the traps are broken.
    repo, log = trapped
    plain = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
             "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    (repo / "app.py").write_text("print(2)\n")
    for args in (["status"], ["diff"], ["worktree", "add", str(tmp_path / "plain"), WAVE]):
        subprocess.run(["git", *args], cwd=repo, env=plain, capture_output=True)
    fired = set(_fired(log))
    assert {"fsmonitor", "filter-clean", "filter-smudge", "external-diff",
            "hook:post-checkout", "hook:reference-transaction"} <= fired  # fmt: skip


def test_no_trap_fires_through_a_whole_task_lifecycle(
    trapped: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, log = trapped
    root = tmp_path / "wt"
    path = root / "1" / "T1"
    worktrees.ensure_worktree(repo, path, TASK, WAVE, root=root, **OWN)
    worktrees.reset_worktree(path, 1, branch=TASK, **OWN)
    assert worktrees.sync_task_branch(path, WAVE, branch=TASK, **OWN) == ""
    (path / "src").mkdir()
    (path / "src" / "new.py").write_text("x = 1\n")
    (path / "app.py").write_text("print(2)\n")
    assert g.dirty_paths(path) == ["app.py", "src/new.py"]
    report = check_worktree(path, allowed_root=root, base_ref=WAVE, allowed_paths=["app.py", "src"])
    assert report.ok, report.as_dict()
    assert gitops.commit_all(path, "convergio(T1): work [round 1]") is not None
    assert g.current_branch(path) == TASK
    info = g.diff_info(repo, WAVE, TASK)
    assert info.changed == {"app.py": "M", "src/new.py": "A"}
    assert info.added["app.py"] == [(1, "print(2)")]
    assert "2 files changed" in g.diff_stat(repo, WAVE, TASK)
    assert [c[1] for c in g.commits(repo, WAVE, TASK)] == ["convergio(T1): work [round 1]"]
    assert g.blob_text(repo, TASK, "app.py") == "print(2)\n"
    assert g.blob_texts(repo, TASK, ["app.py"]) == {"app.py": "print(2)\n"}
    assert g.blob_sizes(repo, TASK, ["app.py"]) == {"app.py": 9}
    assert g.git_input(path, "app.py\0", "check-ignore", "--no-index", "--stdin", "-z") == ""
    assert g.merge_conflicts(repo, WAVE, TASK) == []
    assert g.ref_exists(repo, TASK)
    with g.temp_worktree(repo, TASK) as scratch:
        assert (scratch / "app.py").read_text() == "print(2)\n"
    merged = gitops.merge_branch(repo, WAVE, TASK, "Merge T1")
    assert merged.ok, merged.detail
    assert worktrees.remove_worktree(repo, path, root=root, branch=TASK, **OWN)
    assert not path.exists()
    assert "app.py" in list_files(repo)
    assert _fired(log) == []


def test_a_custom_merge_driver_is_not_run_and_the_merge_fails_closed(
    trapped: tuple[Path, Path], tmp_path: Path
) -> None:
    # Both sides change app.py: git would hand the file to merge.trap.driver.
    repo, log = trapped
    root = tmp_path / "wt"
    path = root / "1" / "T1"
    worktrees.ensure_worktree(repo, path, TASK, WAVE, root=root, **OWN)
    (path / "app.py").write_text("print(1)\nprint('task')\n")
    gitops.commit_all(path, "task")
    wave_tree = tmp_path / "wave"
    git(repo, "-c", "core.hooksPath=/dev/null", "worktree", "add", "-q", str(wave_tree), WAVE)
    (wave_tree / "app.py").write_text("print('wave')\nprint(1)\n")
    gitops.commit_all(wave_tree, "wave")
    _fired(log)  # only the setup's own git above; from here on, Convergio's calls
    merged = gitops.merge_branch(repo, WAVE, TASK, "Merge T1")
    assert not merged.ok and "merge-tree failed" in merged.detail
    assert g.merge_conflicts(repo, WAVE, TASK) is None  # git cannot tell: not "clean"
    assert gitops.conflicts_between(repo, WAVE, TASK) == []
    assert _fired(log) == []


def test_reset_and_clean_stay_in_the_worktree_whatever_core_worktree_says(
    repo: Path, tmp_path: Path
) -> None:
    root = tmp_path / "wt"
    path = root / "1" / "T1"
    worktrees.ensure_worktree(repo, path, TASK, "main", root=root, **OWN)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("user data\n")
    # What an agent can do from its worktree: point the worktree's config elsewhere.
    git(repo, "config", "extensions.worktreeConfig", "true")
    git(path, "config", "--worktree", "core.worktree", str(victim))
    (path / "stray.txt").write_text("agent leftovers\n")
    worktrees.reset_worktree(path, 1, branch=TASK, **OWN)
    assert (victim / "precious.txt").read_text() == "user data\n"
    assert not (path / "stray.txt").exists()


def test_command_puts_the_hardening_before_and_the_patch_flags_after_the_subcommand(
    tmp_path: Path,
) -> None:
    argv, env = hardening.command(tmp_path, "-c", "core.quotePath=false", "diff", "a...b")
    assert argv[:3] == ["git", "-C", str(tmp_path)]
    assert "core.hooksPath=/dev/null" in argv and "core.fsmonitor=false" in argv
    at = argv.index("diff")
    assert argv[at + 1 : at + 3] == ["--no-ext-diff", "--no-textconv"] and argv[-1] == "a...b"
    assert env["GIT_TERMINAL_PROMPT"] == "0" and "GIT_OPTIONAL_LOCKS" not in env
    assert hardening.command(tmp_path, "status", read_only=True)[1]["GIT_OPTIONAL_LOCKS"] == "0"


def test_filter_names_are_read_from_the_repository_config_only(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo, "config", "filter.a=b c.clean", "evil")  # a name -c could not express
    git(repo, "config", "merge.m.driver", "evil")
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")  # the user's own command-scope config
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "filter.lfs.clean")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "git-lfs clean -- %f")
    overrides = hardening.driver_overrides(repo)
    assert overrides["filter.a=b c.clean"] == "" and overrides["filter.a=b c.required"] == "false"
    assert overrides["merge.m.driver"] == ""
    assert not any(key.startswith("filter.lfs.") for key in overrides)
    env = hardening.command(repo, "status")[1]
    assert env["GIT_CONFIG_COUNT"] == str(1 + len(overrides))
    assert env["GIT_CONFIG_KEY_0"] == "filter.lfs.clean"  # the user's entry kept, ours after
