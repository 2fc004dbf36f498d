"""The warning before an approval: the failing gates, what each means, the failing tests."""

from __future__ import annotations

from convergio_tui.thor.approval import approval_warning, failing_tests

PYTEST = """\
tests/test_calc.py F.                                                    [100%]
=================================== FAILURES ===================================
FAILED tests/test_calc.py::test_sub - assert -1 == 1
FAILED tests/test_calc.py::test_sub - assert -1 == 1
1 failed, 1 passed in 0.02s
"""


def test_failing_tests_are_read_from_each_runners_output() -> None:
    assert failing_tests(PYTEST) == ["tests/test_calc.py::test_sub"]
    assert failing_tests("ok 1 - adds\nnot ok 2 - subtracts\n") == ["subtracts"]
    assert failing_tests("--- FAIL: TestSub (0.00s)\n") == ["TestSub"]
    assert failing_tests("test calc::sub ... FAILED\n") == ["calc::sub"]
    unittest = "FAIL: test_power (tests.test_power.PowerTest.test_power)\n"
    assert failing_tests(unittest) == ["tests.test_power.PowerTest.test_power"]
    assert failing_tests("all good\n") == []


def test_the_warning_names_each_failing_gate_its_meaning_and_the_failing_tests() -> None:
    rounds = [
        {"gates": [{"gate": 2, "name": "quality", "verdict": "fail", "evidence": "E501"}]},
        {"gates": [
            {"gate": 1, "name": "compliance", "verdict": "pass", "evidence": ""},
            {"gate": 8, "name": "TDD", "verdict": "fail", "evidence": PYTEST},
            {"gate": 2, "name": "quality", "verdict": "skip", "evidence": "no lint"},
        ]},
    ]  # fmt: skip
    warning = approval_warning(rounds)
    assert warning is not None
    assert "gate 8 TDD: tests fail: tests/test_calc.py::test_sub" in warning
    assert "quality" not in warning  # the last round counts, and a skip is no failure


def test_no_failed_gate_means_no_warning() -> None:
    assert approval_warning([]) is None
    assert approval_warning([{"gates": [{"gate": 8, "verdict": "pass"}]}]) is None
