"""Thor's toolchain detection is given again while every file and folder it looked at is
unchanged, and read again after any change to one of them (thor/toolchain/detect.py,
convergio_tui/settled.py): a marker file added or removed, a test file added, a venv's
interpreter link created or re-pointed, a requirements file appearing. Each change is made
after the previous answer was kept, so each is seen through a kept answer. Files count as
settled once they are ``SETTLED_S`` old, which the tests wait for."""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path

from test_toolchain import PY_PACKAGE, commands, project

from convergio_tui import settled

detect_module = importlib.import_module("convergio_tui.thor.toolchain.detect")

Found = dict[str, list[tuple[str, str]]]


def kept(root: Path) -> Found:
    """Detect until the answer is kept (every file it looked at old enough); return it."""
    deadline = time.monotonic() + 30.0
    while True:
        found = commands(root)
        if f"{detect_module.DETECTION_KEY}{root.resolve()}" in settled._looked:
            assert commands(root) == found  # the kept answer is the one read
            return found
        assert time.monotonic() < deadline, "the project's files never settled"
        time.sleep(0.2)


def fresh(root: Path) -> Found:
    """What a detection reading every file now finds (nothing kept for ``root``)."""
    settled._looked.pop(f"{detect_module.DETECTION_KEY}{root.resolve()}", None)
    return commands(root)


def test_every_change_to_what_detection_read_is_seen_through_a_kept_answer(
    tmp_path: Path,
) -> None:
    root = project(tmp_path / "calc", {**PY_PACKAGE})
    first = kept(root)
    assert first["lint"] == [
        ("python3 -m ruff check .", "detected from pyproject.toml [tool.ruff]")
    ]

    # A Makefile with a lint target now wins for that gate.
    (root / "Makefile").write_text("lint:\n\truff check .\n")
    with_make = commands(root)
    assert with_make["lint"] == [("make lint", "detected from Makefile target lint")]
    assert with_make == fresh(root)

    # A venv's interpreter appears as a link: the commands name it by absolute path.
    kept(root)
    (root / ".venv" / "bin").mkdir(parents=True)
    os.symlink(sys.executable, root / ".venv" / "bin" / "python")
    with_venv = commands(root)
    venv_python = str(root.resolve() / ".venv" / "bin" / "python")
    assert any(venv_python in command for command, _ in with_venv["test"])
    assert with_venv == fresh(root)

    # The link re-pointed at nothing: the interpreter is python3 again.
    kept(root)
    link = root / ".venv" / "bin" / "python"
    link.unlink()
    os.symlink(root / "no-such-python", link)
    assert not any(venv_python in command for command, _ in commands(root)["test"])

    # The Makefile gone: the toolchain's lint again.
    kept(root)
    (root / "Makefile").unlink()
    assert commands(root)["lint"] == first["lint"]


def test_test_files_and_requirements_appearing_are_seen(tmp_path: Path) -> None:
    root = project(tmp_path / "bare", {"calc/__init__.py": "X = 1\n"})
    assert kept(root)["test"] == []

    # A test file three folders down (found by the walk through folders it listed).
    (root / "pkg" / "sub" / "tests").mkdir(parents=True)
    (root / "pkg" / "sub" / "tests" / "test_deep.py").write_text("def test_x():\n    pass\n")
    found = commands(root)
    assert found["test"] and found == fresh(root)

    # pytest named in a requirements file under requirements/: the test command says so.
    kept(root)
    (root / "requirements").mkdir()
    (root / "requirements" / "dev.txt").write_text("pytest>=8\n")
    with_requirements = commands(root)
    assert with_requirements == fresh(root)
    assert any("requirements/dev.txt" in origin for _, origin in with_requirements["test"])


def test_a_look_refuses_what_changed_just_now_and_follows_links(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("one")
    link = tmp_path / "link"
    os.symlink(target, link)
    assert settled.look([str(link)], time.time()) is None  # written just now: not vouched for
    later = time.time() + settled.SETTLED_S + 1
    before = settled.look([str(link), str(tmp_path / "absent")], later)
    assert before is not None
    # The target replaced (another inode) behind an unchanged link: the look differs.
    target.unlink()
    target.write_text("two")
    after = settled.look([str(link), str(tmp_path / "absent")], later + 5)
    assert after is not None and after != before
