"""Gate 10's cross-review: who reviews, how the verdict is read, what it costs.

The reviewer here is a small stand-in CLI speaking Claude Code's stream-json (the
simulated agents cannot be told what verdict to give); it runs as a real subprocess
through the real worker module and runner.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_thor_support import Sandbox, with_thor

from convergio_tui.config.schema import Config
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.crossreview_run import runner_for
from convergio_tui.engine.events import Bus
from convergio_tui.engine.router import HealthView, RouteRequest, route
from convergio_tui.store.models import Ledger, Project, Run, Wave
from convergio_tui.thor.crossreview import parse_verdict, review_prompt
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


@pytest.mark.parametrize(
    ("authors", "privacy", "allowed", "down", "expected"),
    [
        ({"copilot": 3}, "public", None, (), "claude"),
        ({"claude": 2, "copilot": 1}, "public", None, (), "copilot"),
        ({"copilot": 2}, "internal", None, (), "opencode"),  # internal: copilot/opencode only
        ({"claude": 1}, "sensitive", None, (), "opencode"),
        ({"opencode": 1}, "sensitive", None, (), None),  # the only local provider wrote it
        ({"copilot": 1}, "public", None, ("claude",), "gemini"),
        ({"copilot": 1}, "public", ("copilot", "opencode"), (), "opencode"),
    ],
)
def test_reviewer_is_routed_like_any_run_without_the_wave_author(
    shipped_config: Config, authors: dict[str, int], privacy: str,
    allowed: tuple[str, ...] | None, down: tuple[str, ...], expected: str | None,
) -> None:  # fmt: skip
    writer = Counter(authors).most_common(1)[0][0]
    req = RouteRequest(type="review", priority="P1", privacy=privacy, project_allowed=allowed,
                       avoid=(writer,), avoid_reason="it wrote most of the wave")  # fmt: skip
    health = {name: HealthView("down") for name in down}
    decision = route(req, shipped_config, None, health)
    assert decision.provider == expected, decision.reasons
    assert any(f"excluded {writer}: it wrote most of the wave" in r for r in decision.reasons)


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
    Project.update(privacy="public").execute()
    for code, name in (("T1-01", "a"), ("T1-02", "b")):
        task = sandbox.add_task(code, privacy="public", provider="copilot")
        sandbox.finish(task, {f"{name}.txt": f"{name} content\n"})
    return sandbox


def gate10(review: Review) -> GateOutcome:
    return next(o for o in review.outcomes if o.gate == 10)


def engine_review(box: Sandbox, config: Config | None = None) -> Review:
    """The wave review with the engine's real cross-review dispatch behind gate 10."""
    config = config or box.config
    ctx = EngineContext.for_plan(config, box.plan.id, Bus(None), threading.Event())
    return box.review_wave(config, runner_for(ctx, Wave.get_by_id(box.wave.id)))


def test_failing_cross_review_names_the_task_and_is_charged(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "REVIEW_ANSWER", "T1-02 writes b.txt without a newline check.\nVERDICT: FAIL"
    )

    outcome = gate10(engine_review(box))

    assert outcome.verdict == "fail" and outcome.tasks == ("T1-02",), outcome.evidence
    assert "VERDICT: FAIL" in outcome.evidence and "T1-02 writes b.txt" in outcome.evidence
    prompt = (tmp_path / "capture" / "prompt.txt").read_text()
    assert (
        "+a content" in prompt
        and "+b content" in prompt
        and "VERDICT: PASS or VERDICT: FAIL" in prompt
    )
    run = Run.get(Run.wave == box.wave.id)  # recorded as a run of the wave
    assert (run.task_id, run.provider, run.status, run.cost_usd) == (
        None,
        "claude",
        "succeeded",
        0.03,
    )
    kinds = [(row.kind, row.run_id) for row in Ledger.select().order_by(Ledger.id)]
    assert kinds == [("reserve", run.id), ("release", run.id), ("charge", run.id)]
    charge = Ledger.get(Ledger.kind == "charge")
    assert (charge.provider, charge.usd, charge.premium) == ("claude", 0.03, True)


def test_passing_cross_review_passes_gate_10(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_ANSWER", "All good.\nVERDICT: PASS")

    outcome = gate10(engine_review(box))

    assert outcome.verdict == "pass" and "claude" in outcome.evidence


def test_an_answer_without_verdict_is_no_pass(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEW_ANSWER", "I think it is probably fine.")

    outcome = gate10(engine_review(box))

    assert outcome.verdict == "skip" and "no VERDICT line" in outcome.evidence


def test_no_cross_review_after_an_earlier_gate_failed(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEW_ANSWER", "VERDICT: PASS")
    config = with_thor(box.config, cross_review=True, perf_command="exit 1")

    outcome = gate10(engine_review(box, config))

    assert outcome.verdict == "skip" and "earlier gates already failed" in outcome.evidence
    assert not (tmp_path / "capture" / "prompt.txt").exists()


def test_review_prompt_fits_one_argv_string_whatever_the_script() -> None:
    prompt = review_prompt("w1", ["T1"], "+" + "é" * 100_000)  # 2 bytes per character
    assert "[... diff truncated ...]" in prompt
    assert len(prompt.encode("utf-8")) < 128 * 1024 - 4096  # room for the rest of the argv
