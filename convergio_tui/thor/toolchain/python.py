"""Python: pytest (or unittest) when the project has tests; ruff, flake8 and mypy when the
project configures them.

Every tool runs as ``<python> -m <tool>`` so it sees the project's own packages. The
interpreter is the project's virtual environment when it has one at its root
(``.venv/bin/python``, else ``venv/bin/python``, by absolute path: the commands run in a
worktree or wave checkout, where the untracked venv does not exist), else ``python3``,
the name every Unix Python installs (``python`` is missing on stock macOS and Debian).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from typing import Any

from convergio_tui.thor.toolchain.files import ProjectFiles
from convergio_tui.thor.toolchain.model import Found

VENVS = (".venv", "venv")
_PYTEST_REQ = re.compile(r"\s*pytest\b", re.IGNORECASE)  # pytest, pytest-cov, pytest[x]>=8
MAX_SAMPLED = 50  # test files read to tell unittest from pytest


def interpreter(files: ProjectFiles) -> tuple[str, str]:
    """(the Python to run tools with, a note for the source when it is a project venv)."""
    for venv in VENVS:
        if files.exists(f"{venv}/bin/python"):
            return shlex.quote(
                str(files.root / venv / "bin" / "python")
            ), f", with {venv}/bin/python"
    return "python3", ""


def detect_python(files: ProjectFiles) -> list[Found]:
    """The Python commands of the project at ``files.root`` (lint and test)."""
    python, note = interpreter(files)
    found = [Found("lint", f"{python} -m {cmd}", src + note) for cmd, src in _linters(files)]
    test = _tests(files)
    if test is not None:
        cmd, src = test
        found.append(Found("test", f"{python} -m {cmd}", src + note))
    return found


def _pyproject_tool(files: ProjectFiles, tool: str) -> dict[str, Any] | None:
    data = files.toml("pyproject.toml") or {}
    tools = data.get("tool")
    section = tools.get(tool) if isinstance(tools, dict) else None
    return section if isinstance(section, dict) else None


def _ini_section(files: ProjectFiles, name: str, section: str) -> bool:
    parser = files.ini(name)
    return parser is not None and parser.has_section(section)


def _linters(files: ProjectFiles) -> Iterable[tuple[str, str]]:
    """(``-m`` arguments, source) of each configured linter: ruff, flake8, mypy."""
    if _pyproject_tool(files, "ruff") is not None:
        yield "ruff check .", "pyproject.toml [tool.ruff]"
    else:
        for name in ("ruff.toml", ".ruff.toml"):
            if files.exists(name):
                yield "ruff check .", name
                break
    if files.exists(".flake8"):
        yield "flake8", ".flake8"
    else:
        for name in ("setup.cfg", "tox.ini"):
            if _ini_section(files, name, "flake8"):
                yield "flake8", f"{name} [flake8]"
                break
    yield from _mypy(files)


def _mypy(files: ProjectFiles) -> Iterable[tuple[str, str]]:
    # Without configured `files`, a bare `mypy` stops with "missing target": name the root.
    section = _pyproject_tool(files, "mypy")
    if section is not None:
        yield ("mypy" if section.get("files") else "mypy ."), "pyproject.toml [tool.mypy]"
        return
    for name in ("mypy.ini", ".mypy.ini", "setup.cfg"):
        parser = files.ini(name)
        if parser is not None and parser.has_section("mypy"):
            has_files = bool(parser.get("mypy", "files", fallback="").strip())
            yield ("mypy" if has_files else "mypy ."), f"{name} [mypy]"
            return


def _tests(files: ProjectFiles) -> tuple[str, str] | None:
    """(``-m`` arguments, source) of the test runner, or None when there are no tests."""
    evidence = _pytest_evidence(files)
    if evidence is not None:
        return "pytest", evidence
    tests = files.python_tests()
    if not tests:
        return None
    unittest = _unittest_command(files, tests)
    if unittest is not None:
        return unittest
    where = "tests/" if any(t.startswith("tests/") for t in tests) else tests[0]
    return "pytest", f"{where}: Python test files, which pytest runs whatever their style"


def _pytest_evidence(files: ProjectFiles) -> str | None:
    """The first sign that the project uses pytest: its configuration or a dependency."""
    section = _pyproject_tool(files, "pytest")
    if section is not None:
        sub = "[tool.pytest.ini_options]" if "ini_options" in section else "[tool.pytest]"
        return f"pyproject.toml {sub}"
    if files.exists("pytest.ini"):
        return "pytest.ini"
    if _ini_section(files, "setup.cfg", "tool:pytest"):
        return "setup.cfg [tool:pytest]"
    if _ini_section(files, "tox.ini", "pytest"):
        return "tox.ini [pytest]"
    for name in ("conftest.py", "tests/conftest.py", "test/conftest.py"):
        if files.exists(name):
            return name
    if any(_PYTEST_REQ.match(req) for req in _pyproject_requirements(files)):
        return "pyproject.toml, where pytest is a dependency"
    for name in _requirement_files(files):
        text = files.text(name) or ""
        if any(_PYTEST_REQ.match(line) for line in text.splitlines()):
            return f"{name}, where pytest is a dependency"
    return None


def _pyproject_requirements(files: ProjectFiles) -> list[str]:
    """Every requirement string or dependency name in pyproject.toml (PEP 621, PEP 735,
    Poetry)."""
    data = files.toml("pyproject.toml") or {}
    found: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                add(item)
        elif isinstance(value, dict):
            found.extend(str(k) for k in value)

    project = _table(data, "project")
    add(project.get("dependencies"))
    for group in _table(project, "optional-dependencies").values():
        add(group)
    for group in _table(data, "dependency-groups").values():
        add(group)
    poetry = _table(_table(data, "tool"), "poetry")
    add(poetry.get("dependencies"))
    add(poetry.get("dev-dependencies"))
    for group in _table(poetry, "group").values():
        if isinstance(group, dict):
            add(group.get("dependencies"))
    return found


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` when it is a table, else an empty one (a malformed file finds less)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _requirement_files(files: ProjectFiles) -> list[str]:
    names: list[str] = []
    for folder in ("", "requirements"):
        for name in files.listdir(folder):
            if (
                name.endswith(".txt")
                and len(name) > 4
                and (folder or name.startswith("requirements"))
            ):
                names.append(f"{folder}/{name}" if folder else name)
    return names


def _unittest_command(files: ProjectFiles, tests: list[str]) -> tuple[str, str] | None:
    """``unittest discover`` when every test file is a unittest module in one place
    discover finds by default (a ``tests/`` folder, or the root) and none imports
    pytest: it needs nothing installed. Otherwise None (pytest)."""
    if any(t.rsplit("/", 1)[-1].endswith("_test.py") for t in tests):
        return None  # unittest's default pattern (test*.py) would miss these
    in_tests = all(t.startswith("tests/") for t in tests)
    at_root = all("/" not in t for t in tests)
    if not (in_tests or at_root):
        return None
    modules = [t for t in tests if t.rsplit("/", 1)[-1].startswith("test")]
    if not modules:
        return None
    for name in modules[:MAX_SAMPLED]:
        text = files.text(name) or ""
        if "pytest" in text or not re.search(r"^\s*(?:import|from)\s+unittest\b", text, re.M):
            return None
    if at_root:
        return "unittest discover", "test_*.py: unittest files and no sign of pytest"
    # A tests/ package is imported from the root; a plain folder is its own top level.
    args = "-s tests -t ." if files.exists("tests/__init__.py") else "-s tests"
    return f"unittest discover {args}", "tests/: unittest files and no sign of pytest"
