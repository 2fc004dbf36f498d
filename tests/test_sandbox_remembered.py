"""``convergio health``'s sandbox line repeats a bubblewrap probe's verdict from disk
(sandbox/available.py ``remembered_reason``) only while bwrap and the kernel are the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ASK = "from convergio_tui.sandbox.available import remembered_reason\nprint(remembered_reason())\n"


@pytest.fixture
def fake_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``bwrap`` first on PATH that logs each start and succeeds."""
    folder = tmp_path / "bin"
    folder.mkdir()
    bwrap = folder / "bwrap"
    bwrap.write_text(f'#!/bin/sh\necho probe >> "{tmp_path / "probes.log"}"\nexit 0\n')
    bwrap.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return bwrap


def ask() -> str:
    """What a new process's ``remembered_reason()`` says."""
    done = subprocess.run([sys.executable, "-c", ASK], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    return done.stdout.strip()


def probes(bwrap: Path) -> int:
    log = bwrap.parent.parent / "probes.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bubblewrap is Linux's")
def test_a_verdict_is_remembered_until_bwrap_changes(fake_bwrap: Path, isolated_home: Path) -> None:
    assert ask() == "None" and probes(fake_bwrap) == 1
    assert ask() == "None" and probes(fake_bwrap) == 1, "the second process probes nothing"
    # Another bwrap (here: one that cannot create a sandbox) is probed again.
    fake_bwrap.write_text(fake_bwrap.read_text().replace("exit 0", "echo 'no userns' >&2; exit 1"))
    first = ask()
    assert "no userns" in first and probes(fake_bwrap) == 2
    assert ask() == first and probes(fake_bwrap) == 2
    # An unreadable record is no verdict: probe again.
    (isolated_home / "cache" / "sandbox.json").write_text("{not json")
    assert ask() == first and probes(fake_bwrap) == 3
