"""Which tasks a failing wave command points at: the paths it names, and the changed code
a failing test refers to."""

from __future__ import annotations

from convergio_tui.thor.blame import touched_tasks

PATH_TASKS = {
    "calc.py": ("T1",),
    "tests/test_calc.py": ("T1",),
    "tests/test_twice.py": ("T2",),
    "README.md": ("T3",),
}
FILES = {
    "tests/test_twice.py": "from calc import add\n\n\ndef test_twice():\n    assert add(2, 2) == 4\n",
    "tests/test_calc.py": "from calc import add\n",
}
PYTEST = """\
FAILED tests/test_twice.py::test_twice - TypeError: add() missing 1 required positional argument: 'c'
1 failed, 1 passed in 0.02s
"""


def test_a_failing_test_points_at_its_own_task_and_the_code_it_calls() -> None:
    assert touched_tasks(PYTEST, PATH_TASKS, FILES.get) == {"T1", "T2"}


def test_a_path_named_in_a_traceback_points_at_who_changed_it() -> None:
    out = 'File "calc.py", line 2, in add\nTypeError: boom\n'
    assert touched_tasks(out, PATH_TASKS, FILES.get) == {"T1"}


def test_nothing_named_points_at_nobody() -> None:
    assert touched_tasks("error: linker failed\n", PATH_TASKS, FILES.get) == set()


def test_a_path_inside_a_longer_one_is_not_named() -> None:
    assert touched_tasks("see docs/README.md.orig\n", PATH_TASKS, FILES.get) == set()
    assert touched_tasks("see mycalc.py\n", PATH_TASKS, FILES.get) == set()
