"""Gate 10's cross-review: who reviews, how the verdict is read, what it costs.

The reviewer here is a small stand-in CLI speaking Claude Code's stream-json (the
simulated agents cannot be told what verdict to give); it runs as a real subprocess
through the real worker module and runner.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_thor_support import Sandbox, with_thor

from convergio_tui.config.schema import Config
from convergio_tui.store.models import Ledger
from convergio_tui.thor.crossreview import choose_reviewer, parse_verdict
from convergio_tui.thor.review import GateOutcome, Review

REVIEWER = """\
import json, os, sys
prompt = sys.stdin.read()
open(os.environ["REVIEW_CAPTURE"], "w").write(prompt)
print(json.dumps({"type": "result", "subtype": "success", "is_error": False,
                  "result": os.environ["REVIEW_ANSWER"], "total_cost_usd": 0.03,
                  "usage": {"input_tokens": 1200, "output_tokens": 80}}))
"""


def test_parse_verdict_reads_the_last_verdict_line() -> None:
    assert parse_verdict("looks fine\nVERDICT: PASS") == "pass"
    assert parse_verdict("**Verdict:** fail\n") == "fail"
    assert parse_verdict("VERDICT: PASS\n...on reflection\nVERDICT: FAIL") == "fail"
    assert parse_verdict("the verdict is pass") is None
    assert parse_verdict("") is None


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))), st.sampled_from(["PASS", "FAIL"])
)
def test_a_final_verdict_line_always_decides(prefix: str, verdict: str) -> None:
    assert parse_verdict(f"{prefix}\nVERDICT: {verdict}\n") == verdict.lower()


def test_reviewer_is_the_preferred_one_that_did_not_write_the_wave(shipped_config: Config) -> None:
    cfg = shipped_config
    assert choose_reviewer(cfg, Counter({"copilot": 3}), ["public"]).provider == "claude"
    assert (
        choose_reviewer(cfg, Counter({"claude": 2, "copilot": 1}), ["public"]).provider == "copilot"
    )
    # internal work may only go to copilot/opencode; copilot wrote it
    assert choose_reviewer(cfg, Counter({"copilot": 2}), ["internal"]).provider == "opencode"
    assert (
        choose_reviewer(cfg, Counter({"claude": 1}), ["public", "sensitive"]).provider == "opencode"
    )
    assert choose_reviewer(cfg, Counter({"opencode": 1}), ["sensitive"]).provider is None
    down = choose_reviewer(cfg, Counter({"copilot": 1}), ["public"], unavailable=["claude"])
    assert down.provider == "gemini"
    project = choose_reviewer(
        cfg, Counter({"copilot": 1}), ["public"], project_allowed=["copilot", "opencode"]
    )
    assert project.provider == "opencode"


@pytest.fixture
def box(
    tmp_path: Path, db_file: Path, shipped_config: Config, monkeypatch: pytest.MonkeyPatch
) -> Sandbox:
    providers = dict(shipped_config.providers)
    # The reviewer runs in the sandbox: it sees REVIEW_* through env_pass and may write
    # only its capture folder.
    providers["claude"] = providers["claude"].model_copy(
        update={"cli": [sys.executable, str(tmp_path / "capture" / "reviewer.py")],
                "env_pass": ["REVIEW_*"]}
    )  # fmt: skip
    capture = tmp_path / "capture"
    capture.mkdir()
    script = capture / "reviewer.py"
    script.write_text(REVIEWER)
    sandbox = shipped_config.sandbox.model_copy(update={"writable": [str(capture)]})
    config = with_thor(
        shipped_config.model_copy(update={"providers": providers, "sandbox": sandbox}),
        cross_review=True,
    )
    monkeypatch.setenv("REVIEW_CAPTURE", str(capture / "prompt.txt"))
    sandbox = Sandbox(tmp_path, config)
    for code, name in (("T1-01", "a"), ("T1-02", "b")):
        task = sandbox.add_task(code, privacy="public", executor_agent="copilot")
        sandbox.finish(task, {f"{name}.txt": f"{name} content\n"})
    return sandbox


def gate10(review: Review) -> GateOutcome:
    return next(o for o in review.outcomes if o.gate == 10)


def test_failing_cross_review_names_the_task_and_is_charged(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "REVIEW_ANSWER", "T1-02 writes b.txt without a newline check.\nVERDICT: FAIL"
    )

    outcome = gate10(box.review_wave())

    assert outcome.verdict == "fail" and outcome.tasks == ("T1-02",)
    assert "VERDICT: FAIL" in outcome.evidence and "T1-02 writes b.txt" in outcome.evidence
    prompt = (tmp_path / "capture" / "prompt.txt").read_text()
    assert (
        "+a content" in prompt
        and "+b content" in prompt
        and "VERDICT: PASS or VERDICT: FAIL" in prompt
    )
    charge = Ledger.get(Ledger.kind == "charge")
    assert (charge.provider, charge.usd, charge.premium) == ("claude", 0.03, True)


def test_passing_cross_review_passes_gate_10(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_ANSWER", "All good.\nVERDICT: PASS")

    outcome = gate10(box.review_wave())

    assert outcome.verdict == "pass" and "claude" in outcome.evidence


def test_an_answer_without_verdict_is_no_pass(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEW_ANSWER", "I think it is probably fine.")

    outcome = gate10(box.review_wave())

    assert outcome.verdict == "skip" and "no VERDICT line" in outcome.evidence


def test_no_cross_review_after_an_earlier_gate_failed(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEW_ANSWER", "VERDICT: PASS")
    config = with_thor(box.config, cross_review=True, perf_command="exit 1")

    outcome = gate10(box.review_wave(config))

    assert outcome.verdict == "skip" and "earlier gates already failed" in outcome.evidence
    assert not (tmp_path / "capture" / "prompt.txt").exists()
