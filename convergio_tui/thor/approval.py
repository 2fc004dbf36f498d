"""What approving an escalated task means, said before a person approves it. Pure.

Every escalation failed some gate in its last round, so an approval always merges work
Thor rejected: the CLI and the dashboard name the failing gates, what each failure means
for the code that gets merged, and the failing tests they can find in the evidence, and
ask once more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Gate number -> what merging work that failed it means.
MEANING = {
    1: "its own verify commands fail or it left declared files untouched",
    2: "lint fails",
    3: "it breaks the coding standards",
    4: "it does not merge cleanly or touches what it must not",
    5: "its documentation is missing",
    6: "it adds secrets, junk or oversized files",
    7: "its performance checks fail",
    8: "tests fail",
    9: "it breaks the project's constitution",
    10: "the wave's build or cross-review fails",
}
# Failing test names as the common runners print them: pytest, node --test, go, cargo,
# unittest.
_FAILING_TEST = re.compile(
    r"^(?:FAILED (?P<pytest>\S+::\S+)(?: - .*)?"
    r"|not ok \d+ - (?P<node>.+?)(?: # .*)?"
    r"|\s*--- FAIL: (?P<go>\S+)(?: \(.*\))?"
    r"|test (?P<cargo>\S+) \.\.\. FAILED"
    r"|(?:FAIL|ERROR): \S+ \((?P<unittest>[^)\s]+)\))\s*$",
    re.MULTILINE,
)
MAX_TESTS = 5


def failing_tests(evidence: str) -> list[str]:
    """Failing test names found in ``evidence`` (first seen first, no repeats)."""
    found: list[str] = []
    for match in _FAILING_TEST.finditer(evidence):
        name = next(v for v in match.groupdict().values() if v)
        if name.strip() not in found:
            found.append(name.strip())
    return found


def approval_warning(rounds: Iterable[Mapping[str, Any]]) -> str | None:
    """The warning for approving a task with these rejected rounds (the last counts), or
    None when its last round failed no gate (nothing to warn about)."""
    listed = list(rounds)
    if not listed:
        return None
    failed = [g for g in listed[-1].get("gates", []) if g.get("verdict") == "fail"]
    if not failed:
        return None
    lines = []
    for gate in failed:
        number = int(gate.get("gate", 0))
        meaning = MEANING.get(number, "it failed this gate")
        tests = failing_tests(str(gate.get("evidence", "")))
        named = ""
        if tests:
            more = f" and {len(tests) - MAX_TESTS} more" if len(tests) > MAX_TESTS else ""
            named = ": " + ", ".join(tests[:MAX_TESTS]) + more
        lines.append(f"  gate {number} {gate.get('name', '')}: {meaning}{named}")
    return "approving merges work that failed Thor's gates:\n" + "\n".join(lines)
