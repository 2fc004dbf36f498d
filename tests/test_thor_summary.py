"""A round's summary counts passes, failures and skips apart and says why gates skipped."""

from __future__ import annotations

from convergio_tui.thor.outcome import GateOutcome
from convergio_tui.thor.summary_text import (
    MAX_REASON_CHARS,
    from_records,
    record_summary,
    round_summary,
    short_reason,
    tally,
)


def outcome(gate: int, name: str, verdict: str, evidence: str = "") -> GateOutcome:
    """One gate's verdict as Thor returns it."""
    return GateOutcome(gate, name, verdict, evidence)  # type: ignore[arg-type]


DOCS_ROUND = [
    outcome(1, "compliance", "pass", "agent succeeded; 1 file(s) changed"),
    outcome(2, "quality", "skip", "no lint_commands configured and no added lines to inspect"),
    outcome(3, "standards", "skip", "the diff adds no lines"),
    outcome(4, "repo", "pass", "branch is not main"),
    outcome(8, "TDD", "skip", "no code changed and no test_command configured"),
    outcome(9, "constitution", "skip", "no constitution_file configured"),
]


def test_skips_are_not_counted_as_passes_and_say_why() -> None:
    text = round_summary(DOCS_ROUND)
    assert text.startswith("2 passed, 4 skipped: ")
    assert "quality (no lint_commands configured" in text
    assert "constitution (no constitution_file configured)" in text


def test_failures_are_named_and_counted_apart() -> None:
    rejected = [*DOCS_ROUND[1:], outcome(1, "compliance", "fail", "changed no file: ...")]
    counted = tally(rejected)
    assert (counted.passed, counted.failed, counted.skipped) == (1, 1, 4)
    assert counted.text().startswith("1 passed, 1 failed (compliance), 4 skipped: ")
    assert counted.rejected


def test_a_round_of_skips_only_is_not_accepted() -> None:
    counted = tally([o for o in DOCS_ROUND if o.verdict == "skip"])
    assert counted.rejected and counted.text().startswith("0 passed, 4 skipped")
    assert not tally(DOCS_ROUND).rejected


def test_without_reasons_only_the_counts_remain() -> None:
    assert round_summary(DOCS_ROUND, reasons=False) == "2 passed, 4 skipped"


def test_an_unknown_verdict_counts_as_failed_never_passed() -> None:
    counted = tally([outcome(1, "compliance", "weird")])
    assert (counted.passed, counted.failed) == (0, 1)


def test_no_verdicts_say_so() -> None:
    assert round_summary([]) == "no gate results"


def test_a_reason_is_its_first_line_on_one_line_and_bounded() -> None:
    assert short_reason("\n  first\tline  \nsecond") == "first line"
    unbroken = short_reason("x" * 500)
    assert len(unbroken) == MAX_REASON_CHARS and unbroken.endswith("…")
    words = short_reason(
        "lint_commands not configured and none detected; no added lines to inspect"
    )
    assert words == "lint_commands not configured and none detected; no added lines to…"


def test_stored_rounds_are_counted_for_their_json_form() -> None:
    record = {"round": 2, "scope": "task", "gates": [
        {"gate": 1, "name": "compliance", "verdict": "fail", "evidence": "changed no file"},
        {"gate": 2, "name": "quality", "verdict": "skip", "evidence": ""},  # an older record
        {"gate": 4, "name": "repo", "verdict": "pass", "evidence": ""},
    ]}  # fmt: skip
    assert record_summary(record) == {
        "summary": "1 passed, 1 failed (compliance), 1 skipped: quality",
        "passed": 1, "failed": 1, "skipped": 1,
    }  # fmt: skip
    assert [v.verdict for v in from_records(record["gates"])] == ["fail", "skip", "pass"]
