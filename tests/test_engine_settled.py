"""The integrity check's refs, hooks and git config files are read again whenever a file holding them
changed, and only then reused (convergio_tui/settled.py). A real repository; the reads are
counted through the ``compute`` callable each test hands over; files count as settled
once they are ``SETTLED_S`` old, which the tests wait for (never a sleep of their own)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from engine_fixtures import git, make_repo

from convergio_tui import settled
from convergio_tui.engine import integrity

Read = Callable[[], dict[str, str]]


def _counting(repo: Path) -> tuple[list[int], Read]:
    reads: list[int] = []

    def read() -> dict[str, str]:
        reads.append(1)
        return integrity._read_refs(repo)

    return reads, read


def _roots(repo: Path) -> list[str]:
    common = repo / ".git"
    return [str(common / n) for n in ("packed-refs", "refs", "reftable")]


def _refs(repo: Path, read: Read) -> dict[str, str]:
    return settled.cached(_roots(repo), read, dict)


def _settle(repo: Path, read: Read, reads: list[int]) -> None:
    """Wait until a look reuses the last answer (every file is old enough)."""
    deadline = time.monotonic() + 30.0
    while True:
        before = len(reads)
        _refs(repo, read)
        if len(reads) == before:
            return
        assert time.monotonic() < deadline, "the refs never settled"
        time.sleep(0.2)


def test_refs_are_reused_while_unchanged_and_read_again_after_any_change(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    reads, read = _counting(repo)
    assert _refs(repo, read) == integrity._read_refs(repo)
    assert len(reads) == 1  # files written just now: never trusted to show a change
    _settle(repo, read, reads)
    head = git(repo, "rev-parse", "HEAD").strip()

    # A branch created (a new loose ref file) is seen at once.
    git(repo, "branch", "planted")
    assert _refs(repo, read)["refs/heads/planted"] == head
    _settle(repo, read, reads)

    # A ref rewritten in place, same size, same inode: its ctime moved.
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    second = git(repo, "rev-parse", "HEAD").strip()
    _settle(repo, read, reads)
    ref = repo / ".git" / "refs" / "heads" / "planted"
    with open(ref, "r+") as handle:
        handle.write(second + "\n")
    assert _refs(repo, read)["refs/heads/planted"] == second
    _settle(repo, read, reads)

    # Packed away, then deleted: both seen.
    git(repo, "pack-refs", "--all")
    assert _refs(repo, read)["refs/heads/planted"] == second
    _settle(repo, read, reads)
    git(repo, "update-ref", "-d", "refs/heads/planted")
    assert "refs/heads/planted" not in _refs(repo, read)


def test_a_symbolic_link_or_a_fresh_file_is_never_trusted(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    reads, read = _counting(repo)
    _settle(repo, read, reads)
    target = tmp_path / "elsewhere"
    target.write_text(git(repo, "rev-parse", "HEAD"))
    os.symlink(target, repo / ".git" / "refs" / "heads" / "linked")
    count = len(reads)
    for _ in range(3):
        _refs(repo, read)
    assert len(reads) == count + 3  # read every time while the link is there


def test_hooks_and_config_files_are_read_again_when_one_changes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    common = repo / ".git"
    roots = [str(common / "hooks"), *(str(common / n) for n in integrity.CONFIG_FILES)]

    def read() -> integrity.Guarded:
        """What the check reads, once every file may be reused (old enough)."""
        deadline = time.monotonic() + 30.0
        while settled.signature(roots, time.time()) is None:
            assert time.monotonic() < deadline, "the hooks and config never settled"
            time.sleep(0.2)
        return integrity._hooks_and_configs(common, None)

    first_hooks, first_configs = read()
    assert integrity._hooks_and_configs(common, None) == (first_hooks, first_configs)
    hook = common / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")
    assert "pre-commit" not in first_hooks
    assert integrity._hooks_and_configs(common, None)[0]["pre-commit"] == (
        False,
        b"#!/bin/sh\nexit 0\n",
    )
    read()
    hook.chmod(0o755)
    assert integrity._hooks_and_configs(common, None)[0]["pre-commit"][0] is True

    # A config key set (the file rewritten by git) and an attributes file planted.
    read()
    git(repo, "config", "core.hooksPath", "/tmp/elsewhere")
    config = integrity._hooks_and_configs(common, None)[1][str(common / "config")]
    assert config is not None and b"hooksPath = /tmp/elsewhere" in config
    read()
    (common / "info").mkdir(exist_ok=True)
    (common / "info" / "attributes").write_text("* filter=evil\n")
    attributes = integrity._hooks_and_configs(common, None)[1][str(common / "info/attributes")]
    assert attributes == b"* filter=evil\n"
