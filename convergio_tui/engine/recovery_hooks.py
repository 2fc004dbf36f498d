"""Test-only crash points: ``CONVERGIO_TEST_CRASH_AT=<step>`` ends the engine there.

The recovery tests (``tests/test_recovery_steps.py``) must kill ``convergio run`` exactly
between two steps of a task's life, which no signal sent from outside can do reliably.
When the variable names the step being passed, the process ends at once with
``os._exit(137)`` — what a SIGKILL leaves: no ``finally``, no flush, no cleanup. Without
the variable (always, outside those tests) :func:`crash_point` does nothing.

Steps, in a task's order: ``agent_exited`` (the agent's process ended, nothing settled;
also Thor's cross-review, as ``agent_exited@wave-N-review``),
``settled`` (run closed and charged, task still ``running``), ``submitted`` (before the
commit), ``reviewed`` (Thor's verdicts recorded, before the merge), ``merged`` (merged
into the wave branch, before the acceptance).
"""

from __future__ import annotations

import os

ENV = "CONVERGIO_TEST_CRASH_AT"
STEPS = ("agent_exited", "settled", "submitted", "reviewed", "merged")


def crash_point(step: str, who: str = "") -> None:
    """End the process as a SIGKILL would when ``CONVERGIO_TEST_CRASH_AT`` is ``step``, or
    ``step@who`` for one run only (``who``: a task code, or ``wave-N-review``)."""
    wanted = os.environ.get(ENV)
    if wanted is not None and wanted in (step, f"{step}@{who}"):
        os._exit(137)
