"""The one git module (convergio_tui/git/): its runner, its error and its merge-tree reader,
on real repositories; and the engine, Thor and the demo reaching git only through it."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_fixtures import git as plain_git
from engine_fixtures import make_repo

from convergio_tui.demo.project import create_project
from convergio_tui.engine import gitops
from convergio_tui.git import GitError, git, merge_tree, parse_merge_tree
from convergio_tui.thor import git as thor_git


def _branch(repo: Path, name: str, start: str, files: dict[str, str]) -> None:
    """Commit ``files`` on a new branch ``name`` made from ``start``."""
    plain_git(repo, "checkout", "-q", "-b", name, start)
    for rel, text in files.items():
        (repo / rel).write_text(text)
    plain_git(repo, "add", "-A")
    plain_git(repo, "commit", "-q", "-m", name)
    plain_git(repo, "checkout", "-q", "main")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``main`` holding three files, two of them named with a space and an accent."""
    return make_repo(
        tmp_path / "repo", {"app.py": "a = 1\n", "my notes.txt": "x\n", "é.txt": "1\n"}
    )


def test_a_clean_merge_gives_the_tree_holding_both_sides(repo: Path) -> None:
    _branch(repo, "left", "main", {"app.py": "a = 2\n"})
    _branch(repo, "right", "main", {"é.txt": "2\n"})
    result = merge_tree(repo, "left", "right")
    assert result.clean and result.conflicts == [] and result.error == ""
    assert plain_git(repo, "cat-file", "-t", str(result.tree)).strip() == "tree"
    assert plain_git(repo, "show", f"{result.tree}:app.py") == "a = 2\n"
    assert plain_git(repo, "show", f"{result.tree}:é.txt") == "2\n"


def test_a_conflict_lists_each_path_once_sorted_and_unquoted(repo: Path) -> None:
    _branch(repo, "left", "main", {"é.txt": "left\n", "my notes.txt": "l\n", "app.py": "l\n"})
    _branch(repo, "right", "main", {"é.txt": "right\n", "my notes.txt": "r\n"})
    result = merge_tree(repo, "left", "right")
    assert not result.clean and result.tree is None
    assert result.conflicts == ["my notes.txt", "é.txt"]  # app.py changed on one side only
    # The engine and Thor read the same answer.
    assert gitops.conflicts_between(repo, "left", "right") == result.conflicts
    assert thor_git.merge_conflicts(repo, "left", "right") == result.conflicts


def test_when_git_cannot_tell_there_is_neither_a_tree_nor_a_conflict(repo: Path) -> None:
    result = merge_tree(repo, "main", "no-such-branch")
    assert result.tree is None and result.conflicts == []
    assert "no-such-branch" in result.error
    assert thor_git.merge_conflicts(repo, "main", "no-such-branch") is None


def test_the_parser_stops_at_the_end_of_the_conflicted_file_section() -> None:
    out = "abc123\0b.txt\0a.txt\0b.txt\0\0Auto-merging a.txt\0"
    assert parse_merge_tree(1, out).conflicts == ["a.txt", "b.txt"]
    assert parse_merge_tree(0, "abc123\0").tree == "abc123"
    failed = parse_merge_tree(128, "", "fatal: bad revision\n")
    assert failed.tree is None and failed.error == "fatal: bad revision"


def test_a_failed_command_raises_the_one_error_naming_command_and_folder(repo: Path) -> None:
    with pytest.raises(GitError, match=r"git rev-parse nope failed in .*repo: "):
        git(repo, "rev-parse", "nope")
    assert git(repo, "rev-parse", "nope", check=False).returncode != 0
    # Thor and the engine raise that same error, so one except clause catches both.
    with pytest.raises(GitError):
        thor_git.diff_info(repo, "main", "nope")
    assert gitops.GitError is GitError and thor_git.GitError is GitError


def test_commits_are_by_convergio_unless_the_caller_names_someone_else(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "new.txt").write_text("n\n")
    assert gitops.commit_all(repo, "convergio(T1): work [round 1]") is not None
    assert git(repo, "log", "-1", "--format=%an <%ae>").stdout.strip() == (
        "Convergio <convergio@localhost>"
    )
    demo = create_project(tmp_path / "demo")
    author = git(demo, "log", "-1", "--format=%an <%ae>|%cn").stdout.strip()
    assert author == "Convergio Demo <demo@convergio.invalid>|Convergio Demo"


def test_input_goes_to_stdin_and_the_clock_hears_of_every_call(repo: Path) -> None:
    class Clock:
        calls = 0

        def add(self, seconds: float) -> None:
            assert seconds >= 0
            Clock.calls += 1

    out = git(repo, "hash-object", "--stdin", input="hello\n", clock=Clock()).stdout.strip()
    assert out == "ce013625030ba8dba906f756967f9e9ca394464a"  # the blob "hello\n"
    assert Clock.calls == 1
    merge_tree(repo, "main", "main", clock=Clock())
    assert Clock.calls == 2
