"""Which tasks a failing wave command points at. Pure: files are read through a callable.

A wave's build or tests can fail only together: each task passed on its own. The tasks
to send back are those whose changes the failure touches:

- a path the wave changed that the output names (a traceback's ``calc.py:3``, a failing
  test's ``tests/test_calc.py::test_add``);
- for each failing test file, the changed code it refers to: a changed path whose module
  name (``calc`` for ``src/calc.py``) the test file names as a word — it imports or calls
  what another task changed.

Nothing found means the whole wave goes back (the caller decides).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath

from convergio_tui.thor.approval import failing_tests

# Names too common to mean a module: a test file says them whatever it tests.
_VAGUE_STEMS = frozenset({"__init__", "index", "main", "mod", "lib", "test", "tests", "util"})


def _named(path: str, text: str) -> bool:
    """Whether ``text`` names ``path`` (as a path, not inside a longer one)."""
    return re.search(rf"(?<![\w/.-]){re.escape(path)}(?![\w-])", text) is not None


def _failing_files(output: str) -> list[str]:
    """Test files of the failing tests, from their ``path::name`` ids."""
    files = [t.split("::", 1)[0] for t in failing_tests(output) if "::" in t]
    return list(dict.fromkeys(files))


def touched_tasks(
    output: str,
    path_tasks: Mapping[str, tuple[str, ...]],
    read: Callable[[str], str | None],
) -> set[str]:
    """Task codes whose changes the failing ``output`` touches (see the module doc).

    ``path_tasks`` maps each changed path to the tasks that changed it; ``read`` returns
    a file's text on the wave branch (None when absent).
    """
    changed = sorted(path_tasks)
    named = {p for p in changed if _named(p, output)}
    for test_file in _failing_files(output):
        if test_file in path_tasks:
            named.add(test_file)
        text = read(test_file)
        if not text:
            continue
        for path in changed:
            stem = PurePosixPath(path).stem
            if path == test_file or stem in _VAGUE_STEMS or len(stem) < 3:
                continue
            if re.search(rf"\b{re.escape(stem)}\b", text):
                named.add(path)
    return {code for path in named for code in path_tasks.get(path, ())}
