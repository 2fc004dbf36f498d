"""One honest line per review round: passes, failures and skips counted apart.

A skipped gate checked nothing, so a round of six gates where four skipped is "2 passed,
4 skipped: …", never "passed: 6 gates". Every place that summarizes a round (``convergio
run``'s progress lines, ``convergio escalations``, the dashboard's gate evidence, the
rejection record an escalation keeps) words it here. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

MAX_REASON_CHARS = 70  # a skip's reason is its evidence's first line, cut to this


class GateVerdict(Protocol):
    """What the summary reads of one gate's verdict (a ``GateOutcome``, a dashboard
    ``GateLine`` or :class:`Verdict`)."""

    @property
    def name(self) -> str:
        """The gate's name (``compliance``, ``quality``…)."""
        ...

    @property
    def verdict(self) -> str:
        """``pass``, ``fail`` or ``skip``."""
        ...

    @property
    def evidence(self) -> str:
        """What was checked, what to fix, or why nothing was checked."""
        ...


class Verdict(NamedTuple):
    """A gate verdict read back from a stored record (a dict of the rejection event)."""

    name: str
    verdict: str
    evidence: str


@dataclass(frozen=True)
class RoundTally:
    """A round's verdicts counted apart, with the failed gates and the skips' reasons."""

    passed: int
    failed: int
    skipped: int
    failed_gates: tuple[str, ...] = ()
    skips: tuple[tuple[str, str], ...] = ()  # (gate name, short reason), in gate order

    @property
    def total(self) -> int:
        """How many gates gave a verdict."""
        return self.passed + self.failed + self.skipped

    @property
    def rejected(self) -> bool:
        """True when a task round with these verdicts is not accepted: a gate failed, or
        none really passed (skips alone never accept work)."""
        return bool(self.failed) or not self.passed

    def counts(self) -> dict[str, int]:
        """``{"passed": P, "failed": F, "skipped": S}`` (the JSON outputs' keys)."""
        return {"passed": self.passed, "failed": self.failed, "skipped": self.skipped}

    def text(self, *, reasons: bool = True) -> str:
        """``3 passed, 1 failed (compliance), 2 skipped: quality (no lint_commands
        configured); perf (no perf_command configured)``. ``reasons=False`` leaves the
        skips' reasons out (where every gate's evidence is shown right below)."""
        if not self.total:
            return "no gate results"
        parts = [f"{self.passed} passed"]
        if self.failed:
            parts.append(f"{self.failed} failed ({', '.join(self.failed_gates)})")
        if self.skipped:
            skipped = f"{self.skipped} skipped"
            if reasons and self.skips:
                skipped += ": " + "; ".join(
                    f"{name} ({why})" if why else name for name, why in self.skips
                )
            parts.append(skipped)
        return ", ".join(parts)


def short_reason(evidence: str) -> str:
    """The first non-empty line of a skip's evidence, cut to :data:`MAX_REASON_CHARS`."""
    line = next((ln.strip() for ln in evidence.splitlines() if ln.strip()), "")
    line = " ".join(line.split())  # no tab or run of spaces in a one-line summary
    if len(line) > MAX_REASON_CHARS:
        cut = line[: MAX_REASON_CHARS - 1]
        # At a word's end when one is near: "lines to…", not "lines to ins…".
        word_end = cut.rfind(" ")
        cut = cut[:word_end] if word_end > MAX_REASON_CHARS // 2 else cut
        line = cut.rstrip(" ;,") + "…"
    return line


def tally(gates: Iterable[GateVerdict]) -> RoundTally:
    """Count one round's verdicts; an unknown verdict counts as failed (never a pass)."""
    passed = 0
    failed: list[str] = []
    skips: list[tuple[str, str]] = []
    for gate in gates:
        if gate.verdict == "pass":
            passed += 1
        elif gate.verdict == "skip":
            skips.append((gate.name, short_reason(gate.evidence or "")))
        else:
            failed.append(gate.name)
    return RoundTally(passed, len(failed), len(skips), tuple(failed), tuple(skips))


def round_summary(gates: Iterable[GateVerdict], *, reasons: bool = True) -> str:
    """One line for one round: see :meth:`RoundTally.text`."""
    return tally(gates).text(reasons=reasons)


def from_records(gates: Iterable[Mapping[str, Any]]) -> list[Verdict]:
    """Verdicts from stored gate dicts (``{"name", "verdict", "evidence"}``; a record
    written before skips kept their reason has an empty one)."""
    return [
        Verdict(str(g.get("name", "?")), str(g.get("verdict", "")), str(g.get("evidence") or ""))
        for g in gates
    ]


def record_summary(record: Mapping[str, Any]) -> dict[str, Any]:
    """``summary`` and the ``passed``/``failed``/``skipped`` counts of one stored round
    (``{"round", "scope", "gates": [...]}``), to add to its JSON form."""
    counted = tally(from_records(record.get("gates") or []))
    return {"summary": counted.text(), **counted.counts()}
