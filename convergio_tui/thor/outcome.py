"""What a gate says: a verdict with evidence a person can act on."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["pass", "fail", "skip"]
Scope = Literal["task", "wave"]


def mentions(text: str, code: str) -> bool:
    """True when ``text`` names the task ``code`` as a word (``T1-1`` is not in ``T1-10``)."""
    return re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text) is not None


@dataclass(frozen=True)
class GateOutcome:
    """One gate's verdict.

    ``tasks`` names the task codes a wave-level failure is attributable to. When
    ``attributed`` is true an empty ``tasks`` means the whole wave; otherwise (an outcome
    built outside the gates) the codes are looked for in the evidence. Evidence never
    holds a secret's value (see :mod:`thor.secrets`).
    """

    gate: int
    name: str
    verdict: Verdict
    evidence: str
    tasks: tuple[str, ...] = ()
    attributed: bool = False

    @property
    def failed(self) -> bool:
        """True when this gate rejects the work."""
        return self.verdict == "fail"


@dataclass(frozen=True)
class Review:
    """The result of reviewing one task round or one wave."""

    passed: bool
    outcomes: list[GateOutcome]
    evidence_text: str
    diff_stat: str = ""
    thor_seconds: float = 0.0  # Thor's own time, excluding the commands it ran
    git_seconds: float = 0.0  # the part of thor_seconds spent waiting for git
    failed_gates: tuple[str, ...] = field(default=())
    # The project's vault redactor the review used: what is later made of the review
    # (the next prompt, the journal, an escalation) is masked with it too.
    redact: Callable[[str], str] | None = field(default=None, compare=False, repr=False)


def evidence_text(outcomes: list[GateOutcome]) -> str:
    """The failing gates' evidence as one readable block (what the next prompt gets)."""
    parts = []
    for o in outcomes:
        if o.failed:
            parts.append(f"[gate {o.gate} {o.name}: FAIL]\n{o.evidence.strip()}")
    return "\n\n".join(parts)


def make_review(
    outcomes: list[GateOutcome],
    diff_stat: str = "",
    seconds: float = 0.0,
    git_seconds: float = 0.0,
    *,
    need_pass: bool = True,
    redact: Callable[[str], str] | None = None,
) -> Review:
    """A :class:`Review` from gate outcomes: passed when none failed and (``need_pass``,
    the task rule the database enforces too) at least one gate really passed.
    ``redact`` masks the evidence text and diff stat and travels with the review."""
    failed = tuple(o.name for o in outcomes if o.failed)
    text = evidence_text(outcomes)
    if redact is not None:
        text, diff_stat = redact(text), redact(diff_stat)
    passed = not failed and (not need_pass or any(o.verdict == "pass" for o in outcomes))
    return Review(
        passed=passed,
        outcomes=outcomes,
        evidence_text=text,
        diff_stat=diff_stat,
        thor_seconds=seconds,
        git_seconds=git_seconds,
        failed_gates=failed,
        redact=redact,
    )
