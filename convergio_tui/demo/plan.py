"""The demo plan: three waves whose simulated agents exercise routing, gates and budget.

What a viewer sees within about a minute (cap $2.00, alert at 80%):
- wave 1: claude (P0, public), gemini (research), opencode (sensitive) and copilot run
  in parallel, each premium run holding its worst case (``DEMO_WORST_CASES``) against the
  cap; spend reaches ~43% of the cap;
- wave 2: T2-01 fails its tests in round 1, is rejected by Thor and passes in round 2;
  its charges pass 80% (the alert), and what is left of the cap no longer holds claude's
  worst case, so T2-03 — a P0 task that would go to claude — falls back to copilot;
- wave 3: T3-02 never makes its test pass: three rejections, then it escalates and waits
  for a person in the dashboard's inbox.

Spend stays inside the cap: every claude run carries ``--max-budget-usd`` and every copilot
run ``--max-ai-credits``, and each simulated call costs less than its model's
``max_call_usd``.
"""

from __future__ import annotations

import shlex
import sys
from typing import Any

DEMO_CAP_USD = 2.00
# (max_run_usd, max_call_usd) per provider·model, sized to the demo's $2.00 cap (the
# shipped ones are sized for real work and a $10 cap).
DEMO_WORST_CASES: dict[tuple[str, str], tuple[float, float | None]] = {
    ("claude", "claude-opus-4-5"): (0.70, 0.10),
    ("gemini", "gemini-2.5-pro"): (0.50, None),
    ("copilot", "gpt-5"): (0.32, 0.02),
    ("copilot", "claude-sonnet-4.5"): (0.32, 0.02),
}


def _write(path: str, text: str) -> str:
    return f"SIM: write {path} <<<{text}>>>"


def _verify() -> list[str]:
    python = shlex.quote(sys.executable)
    return [f"{python} -m unittest discover -s tests -t . -q"]


MUL_GOOD = 'def mul(a: float, b: float) -> float:\\n    """Return a * b."""\\n    return a * b\\n'
MUL_BAD = 'def mul(a: float, b: float) -> float:\\n    """Return a * b."""\\n    return a + b\\n'
MUL_TEST = (
    "import unittest\\n\\nfrom calc.ops import mul\\n\\n\\n"
    "class MulTest(unittest.TestCase):\\n    def test_mul(self) -> None:\\n"
    "        self.assertEqual(mul(3, 4), 12)\\n"
)


def demo_plan(project: str) -> dict[str, Any]:
    """The plan spec (as data) for the demo project at ``project``."""
    verify = _verify()
    return {
        "name": "demo: calculator",
        "project": project,
        "waves": [
            {"name": "foundations", "tasks": [
                {"code": "T1-01", "title": "Add subtraction with tests", "type": "coding",
                 "priority": "P0", "privacy": "public", "files": ["calc/core.py"],
                 "verify": verify,
                 "prompt": "\n".join([
                     "Add sub(a, b) to calc/core.py with a unit test.",
                     "SIM: delay=4 lines=40 cost=0.45 calls=6",
                     _write("calc/core.py", '"""Core operations."""\\n\\n\\ndef add(a: float, b: float) -> float:\\n    """Return a + b."""\\n    return a + b\\n\\n\\ndef sub(a: float, b: float) -> float:\\n    """Return a - b."""\\n    return a - b\\n'),
                     _write("tests/test_sub.py", "import unittest\\n\\nfrom calc.core import sub\\n\\n\\nclass SubTest(unittest.TestCase):\\n    def test_sub(self) -> None:\\n        self.assertEqual(sub(5, 3), 2)\\n"),
                 ])},
                {"code": "T1-02", "title": "Research rounding rules", "type": "research",
                 "priority": "P2", "privacy": "public",
                 "prompt": "Compare banker's rounding and half-up rounding for money.\n"
                           "SIM: delay=3 lines=25 output_tokens=40000"},
                {"code": "T1-03", "title": "Redact customer ids in logs", "type": "coding",
                 "priority": "P1", "privacy": "sensitive", "files": ["calc/redact.py"],
                 "verify": verify,
                 "prompt": "\n".join([
                     "Add a redaction helper; customer data must stay on this machine.",
                     "SIM: delay=3 lines=20",
                     _write("calc/redact.py", '"""Redaction."""\\n\\n\\ndef redact(text: str) -> str:\\n    """Hide all but the last two characters."""\\n    return "*" * max(0, len(text) - 2) + text[-2:]\\n'),
                     _write("tests/test_redact.py", "import unittest\\n\\nfrom calc.redact import redact\\n\\n\\nclass RedactTest(unittest.TestCase):\\n    def test_redact(self) -> None:\\n        self.assertEqual(redact(\"abcd\"), \"**cd\")\\n"),
                 ])},
                {"code": "T1-04", "title": "Document the calculator", "type": "docs",
                 "priority": "P2", "privacy": "internal", "files": ["docs/usage.md"],
                 "prompt": "Write docs/usage.md.\nSIM: delay=2 lines=10\n"
                           + _write("docs/usage.md", "# Usage\\n\\n    from calc.core import add\\n")},
            ]},
            {"name": "features", "tasks": [
                {"code": "T2-01", "title": "Add multiplication", "type": "coding",
                 "priority": "P0", "privacy": "public", "files": ["calc/ops.py"],
                 "verify": verify,
                 "prompt": "\n".join([
                     "Add mul(a, b) in calc/ops.py with a test.",
                     "SIM: delay=3 lines=30 cost=0.38 calls=6",
                     "SIM[round<2]: write calc/ops.py <<<" + MUL_BAD + ">>>",
                     "SIM[round>=2]: write calc/ops.py <<<" + MUL_GOOD + ">>>",
                     _write("tests/test_ops.py", MUL_TEST),
                 ])},
                {"code": "T2-02", "title": "Review the public API", "type": "review",
                 "priority": "P1", "privacy": "internal",
                 "prompt": "Review calc's public API for naming consistency.\nSIM: delay=1 lines=15"},
                {"code": "T2-03", "title": "Add division (after multiplication)", "type": "coding",
                 "priority": "P0", "privacy": "public", "files": ["calc/div.py"],
                 "verify": verify, "depends_on": ["T2-01"],
                 "prompt": "\n".join([
                     "Add div(a, b) raising ZeroDivisionError, with a test.",
                     "SIM: delay=3 lines=20",
                     _write("calc/div.py", '"""Division."""\\n\\n\\ndef div(a: float, b: float) -> float:\\n    """Return a / b."""\\n    return a / b\\n'),
                     _write("tests/test_div.py", "import unittest\\n\\nfrom calc.div import div\\n\\n\\nclass DivTest(unittest.TestCase):\\n    def test_div(self) -> None:\\n        self.assertEqual(div(6, 3), 2)\\n"),
                 ])},
            ]},
            {"name": "polish", "tasks": [
                {"code": "T3-01", "title": "Bulk-format docstrings", "type": "bulk",
                 "priority": "P3", "privacy": "internal",
                 "prompt": "Normalise docstrings.\nSIM: delay=2 lines=10\n"
                           + _write("docs/style.md", "# Style\\n\\nDocstrings are one line.\\n")},
                {"code": "T3-02", "title": "Add power with overflow guard", "type": "coding",
                 "priority": "P1", "privacy": "internal", "files": ["calc/power.py"],
                 "verify": verify,
                 "prompt": "\n".join([
                     "Add power(a, b) that refuses exponents above 1000.",
                     "SIM: delay=2 lines=15",
                     _write("calc/power.py", '"""Powers."""\\n\\n\\ndef power(a: float, b: int) -> float:\\n    """Return a ** b."""\\n    return a * b\\n'),
                     _write("tests/test_power.py", "import unittest\\n\\nfrom calc.power import power\\n\\n\\nclass PowerTest(unittest.TestCase):\\n    def test_power(self) -> None:\\n        self.assertEqual(power(2, 10), 1024)\\n"),
                 ])},
            ]},
        ],
    }  # fmt: skip
