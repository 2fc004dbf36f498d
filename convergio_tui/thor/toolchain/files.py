"""Read the few files toolchain detection looks at, bounded and forgiving.

Detection only reads: no command runs, nothing is written. A file that is missing, too
large, unreadable or malformed reads as absent (detection then finds less, never
crashes a review). Parsed documents are cached for the life of one :class:`ProjectFiles`.
"""

from __future__ import annotations

import configparser
import json
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

MAX_BYTES = 1_000_000  # a marker file larger than this is not a project's own config
MAX_WALK_ENTRIES = 5000  # directory entries the test-file search looks at, at most
MAX_WALK_DEPTH = 4  # directories below the root the test-file search descends
# Directories that hold other people's code or build output, never the project's tests.
SKIP_DIRS = frozenset({
    "node_modules", ".venv", "venv", "env", ".tox", ".nox", "build", "dist", "target",
    "__pycache__", "site-packages", "vendor",
})  # fmt: skip


class ProjectFiles:
    """The files of one project root, read on demand."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[tuple[str, str], Any] = {}
        # Every path looked at (a folder: listed, not what is below it), in order: what
        # the detection depends on (thor/toolchain/detect.py keeps it with the answer).
        self.looked_at: dict[str, None] = {}

    def _path(self, name: str) -> str:
        path = os.path.join(self.root, name)
        self.looked_at[path] = None
        return path

    def exists(self, name: str) -> bool:
        """Whether ``name`` (relative to the root) is a regular file."""
        return os.path.isfile(self._path(name))

    def is_dir(self, name: str) -> bool:
        """Whether ``name`` (relative to the root) is a directory."""
        return os.path.isdir(self._path(name))

    def listdir(self, name: str) -> list[str]:
        """The names in folder ``name`` (relative to the root; "" for the root), sorted;
        empty when it is missing or unreadable."""
        try:
            return sorted(os.listdir(self._path(name or ".")))
        except OSError:
            return []

    def text(self, name: str) -> str | None:
        """The file's text, or None when missing, too large or unreadable."""
        key = ("text", name)
        if key not in self._cache:
            self._cache[key] = _read(self._path(name))
        value: str | None = self._cache[key]
        return value

    def toml(self, name: str) -> dict[str, Any] | None:
        """The file parsed as TOML, or None."""
        return self._parsed(name, "toml", tomllib.loads)

    def json(self, name: str) -> dict[str, Any] | None:
        """The file parsed as a JSON object, or None."""
        return self._parsed(name, "json", json.loads)

    def ini(self, name: str) -> configparser.ConfigParser | None:
        """The file parsed as INI (``setup.cfg``, ``tox.ini``, ``mypy.ini``), or None."""
        key = ("ini", name)
        if key not in self._cache:
            text = self.text(name)
            parser: configparser.ConfigParser | None = None
            if text is not None:
                parser = configparser.ConfigParser(interpolation=None, strict=False)
                try:
                    parser.read_string(text, source=name)
                except configparser.Error:
                    parser = None
            self._cache[key] = parser
        result: configparser.ConfigParser | None = self._cache[key]
        return result

    def _parsed(self, name: str, kind: str, parse: Any) -> dict[str, Any] | None:
        key = (kind, name)
        if key not in self._cache:
            text = self.text(name)
            value = None
            if text is not None:
                try:
                    value = parse(text)
                except ValueError:  # TOMLDecodeError and JSONDecodeError are ValueErrors
                    value = None
            self._cache[key] = value if isinstance(value, dict) else None
        result: dict[str, Any] | None = self._cache[key]
        return result

    def python_tests(self) -> list[str]:
        """Relative paths of Python test files (``test_*.py``, ``*_test.py`` anywhere, and
        any ``.py`` under a ``tests/`` or ``test/`` folder), in walk order, bounded."""
        key = ("walk", "")
        if key not in self._cache:
            self._cache[key] = _walk_tests(self.root, self.looked_at)
        found: list[str] = self._cache[key]
        return found


def _read(path: str) -> str | None:
    try:
        # One stat: a missing file (the common case) is the exception, not a second call.
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _is_test(rel_dir: str, name: str) -> bool:
    if not name.endswith(".py"):
        return False
    if name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in ("tests", "test") for part in rel_dir.split("/"))


def _walk_tests(root: Path, listed: dict[str, None]) -> list[str]:
    found: list[str] = []
    seen = 0
    stack: list[tuple[Path, str, int]] = [(root, "", 0)]
    while stack and seen < MAX_WALK_ENTRIES:
        folder, rel, depth = stack.pop(0)
        listed[str(folder)] = None
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                break
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if (
                        depth < MAX_WALK_DEPTH
                        and not name.startswith(".")
                        and name not in SKIP_DIRS
                    ):
                        stack.append((Path(entry.path), f"{rel}{name}/", depth + 1))
                elif entry.is_file(follow_symlinks=False) and _is_test(rel.rstrip("/"), name):
                    found.append(f"{rel}{name}")
            except OSError:
                continue
    return found
