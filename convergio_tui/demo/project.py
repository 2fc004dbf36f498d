"""The demo's throw-away git project: a tiny calculator package with unittest tests."""

from __future__ import annotations

from pathlib import Path

from convergio_tui.git import git

FILES = {
    "README.md": "# calc\n\nA tiny calculator, the subject of the Convergio demo.\n",
    "calc/__init__.py": '"""A tiny calculator."""\n',
    "calc/core.py": (
        '"""Core operations."""\n\n\n'
        "def add(a: float, b: float) -> float:\n"
        '    """Return a + b."""\n'
        "    return a + b\n"
    ),
    "tests/__init__.py": "",
    "tests/test_core.py": (
        "import unittest\n\nfrom calc.core import add\n\n\n"
        "class AddTest(unittest.TestCase):\n"
        "    def test_add(self) -> None:\n"
        "        self.assertEqual(add(2, 3), 5)\n"
    ),
    ".gitignore": "__pycache__/\n",
}

# The demo's first commit is the user's project's, not Convergio's: its own author.
_IDENTITY = {
    "GIT_AUTHOR_NAME": "Convergio Demo", "GIT_AUTHOR_EMAIL": "demo@convergio.invalid",
    "GIT_COMMITTER_NAME": "Convergio Demo", "GIT_COMMITTER_EMAIL": "demo@convergio.invalid",
}  # fmt: skip


def create_project(path: Path) -> Path:
    """Create the demo repository at ``path`` on branch ``main`` with one commit."""
    path.mkdir(parents=True)
    for rel, text in FILES.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(path, "init", "-q", "-b", "main", env=_IDENTITY)
    git(path, "add", "-A", env=_IDENTITY)
    git(path, "commit", "-q", "-m", "chore: start the calculator", env=_IDENTITY)
    return path
