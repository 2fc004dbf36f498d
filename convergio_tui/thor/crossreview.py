"""Gate 10's optional cross-review: another provider reads the wave's diff and answers
``VERDICT: PASS`` or ``VERDICT: FAIL``.

Thor only asks and judges: it writes the prompt and reads the verdict. Who answers, and
what it costs, is the engine's business (:mod:`convergio_tui.engine.crossreview_run`):
the review is routed, reserved, sandboxed and charged like any run, and Thor receives
it as a :data:`ReviewRunner`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from convergio_tui.store.models import Run, Task

# The review prompt may travel as one argv string (128 KiB on Linux): the diff is cut by
# UTF-8 bytes, not characters, so non-ASCII text cannot push it over.
MAX_DIFF_BYTES = 60_000
_VERDICT = re.compile(r"^[\s*#>_`-]*VERDICT[\s*_`]*:[\s*_`]*(PASS|FAIL)\b", re.I | re.M)


@dataclass(frozen=True)
class CrossReview:
    """What the reviewer said: ``verdict`` None when it could not be obtained."""

    verdict: str | None
    text: str
    detail: str
    cost_usd: float = 0.0


# (prompt, checkout of the wave branch) -> what the reviewer said; supplied by the engine.
ReviewRunner = Callable[[str, Path], CrossReview]


def parse_verdict(text: str) -> str | None:
    """The last ``VERDICT: PASS|FAIL`` line of ``text`` (``pass``/``fail``), else None."""
    found = _VERDICT.findall(text or "")
    return found[-1].lower() if found else None


def wave_authors(tasks: Iterable[Task]) -> Counter[str]:
    """How many of the wave's tasks each provider wrote (its last run, else its route)."""
    counts: Counter[str] = Counter()
    for task in tasks:
        last = Run.select(Run.provider).where(Run.task == task.id).order_by(Run.id.desc()).first()
        provider = last.provider if last is not None else task.provider
        if provider:
            counts[provider] += 1
    return counts


def review_prompt(wave_name: str, codes: list[str], diff_text: str) -> str:
    """What the reviewer is asked: judge the diff, end with one verdict line."""
    raw = diff_text.encode("utf-8", "replace")
    if len(raw) > MAX_DIFF_BYTES:
        cut = raw[:MAX_DIFF_BYTES].decode("utf-8", "ignore")  # no half character at the end
        diff_text = cut + "\n[... diff truncated ...]"
    return (
        f"You are reviewing the combined changes of wave {wave_name!r} (tasks: "
        f"{', '.join(codes)}). Do not modify any file. Look for bugs, missing tests, "
        "security problems and changes that do not fit together. Name the task code "
        "(e.g. T1-02) of the work each problem comes from. End your answer with exactly "
        "one line: VERDICT: PASS or VERDICT: FAIL.\n\n```diff\n" + diff_text + "\n```\n"
    )
