"""The simulated gemini prints what the pinned real gemini prints: per case, the same exit
code, the same final document and stderr documents, every document kind the real CLI
printed in that case (same keys), and none the real CLI never printed. The reference is
the contract suite's recordings (``tests/contract/recordings/gemini/``); this test needs
no real CLI. The worker is also checked on the recorded real output itself, case by case.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import gemini_shapes
import pytest

from convergio_tui.providers import ErrorClass, get_adapter
from convergio_tui.providers.runner import ProcessOutcome
from convergio_tui.sim.install import install_sim_bin, sim_path_env

MODEL = "gemini-2.5-pro"
WRITE = "SIM: write src/hello.py <<<print('hi')\\n>>>\n"
STREAM = get_adapter("gemini").DEFAULT_TEMPLATE
JSON = ["gemini", "-m", "{model}", "-o", "json", "--approval-mode=yolo", "--skip-trust",
        "--prompt={prompt}"]  # fmt: skip
OLD = ["gemini", "-p", "{prompt}", "-m", "{model}", "-o", "stream-json", "--skip-trust"]

# recording -> (prompt, template, environment beyond the worker's, the worker's error class)
CASES: dict[str, tuple[str, list[str], dict[str, str], ErrorClass]] = {
    "success": ("Say hello.", STREAM, {}, ErrorClass.none),
    "tool_write": ("Write it.\n" + WRITE, STREAM, {}, ErrorClass.none),
    "dash_prompt": ("- fix the README\n- then add a test", STREAM, {}, ErrorClass.none),
    "no_key": ("SIM: mode=auth", STREAM, {}, ErrorClass.auth),
    "http_429": ("SIM: mode=rate_limit", STREAM, {}, ErrorClass.rate_limit),
    "http_404": ("SIM: mode=model_not_found", STREAM, {}, ErrorClass.model_not_found),
    "json_success": ("Say hello.", JSON, {}, ErrorClass.none),
    "json_http_429": ("SIM: mode=rate_limit", JSON, {}, ErrorClass.rate_limit),
    "dash_after_p": ("- fix the README", OLD, {}, ErrorClass.failed),
    # Without the worker's GEMINI_CLI_TRUST_WORKSPACE and without --skip-trust.
    "untrusted": ("hi", [a for a in OLD if a != "--skip-trust"],
                  {"GEMINI_CLI_TRUST_WORKSPACE": ""}, ErrorClass.failed),
}  # fmt: skip


@pytest.fixture(scope="module")
def sim_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulated CLIs, installed once for this module."""
    return install_sim_bin(tmp_path_factory.mktemp("simbin"))


def all_recorded_shapes() -> list[dict[str, Any]]:
    """Every stdout document shape of every recording: what the real CLI can print."""
    shapes: list[dict[str, Any]] = []
    for path in sorted(gemini_shapes.RECORDINGS.glob("*.json")):
        shapes += json.loads(path.read_text(encoding="utf-8"))["shape"]["events"]
    return shapes


def run_sim(sim_bin: Path, tmp_path: Path, prompt: str, template: list[str],
            env: dict[str, str]) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """The simulated gemini, started the way the worker starts it."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    inv = get_adapter("gemini").build_invocation(template, prompt, MODEL, work)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CONVERGIO_SIM_", "GEMINI_"))}
    full = {**sim_path_env(sim_bin, base), **inv.env, **env}
    return subprocess.run(inv.argv, cwd=work, capture_output=True, text=True, timeout=30,
                          env={k: v for k, v in full.items() if v})  # fmt: skip


def sim_shape(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The shape of one simulated run."""
    return gemini_shapes.shape(proc.returncode, proc.stdout.splitlines(),
                               proc.stderr.splitlines())  # fmt: skip


def explain(wanted: list[dict[str, Any]], printed: list[dict[str, Any]]) -> str:
    """How each shape of ``wanted`` differs from the nearest of ``printed`` (same kind)."""
    lines = []
    for shape in wanted:
        same = [p for p in printed if gemini_shapes.kind(p) == gemini_shapes.kind(shape)]
        if not same:
            lines.append(f"{gemini_shapes.kind(shape)}: never printed")
            continue

        def diff(other: dict[str, Any], shape: dict[str, Any] = shape) -> list[str]:
            return gemini_shapes.differences(
                {"exit_code": 0, "events": [shape], "stderr_documents": []},
                {"exit_code": 0, "events": [other], "stderr_documents": []},
            )

        lines.append(
            f"{gemini_shapes.kind(shape)}: "
            + "; ".join(diff(min(same, key=lambda p: len(diff(p)))))
        )
    return "\n".join(lines)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_sim_prints_the_shapes_the_real_gemini_printed(
    sim_bin: Path, tmp_path: Path, case: str
) -> None:
    real = gemini_shapes.load(case)["shape"]
    proc = run_sim(sim_bin, tmp_path, *CASES[case][:3])
    sim = sim_shape(proc)
    assert sim["exit_code"] == real["exit_code"], proc.stderr
    changed = gemini_shapes.differences({**real, "events": real["events"][-1:]},
                                        {**sim, "events": sim["events"][-1:]})  # fmt: skip
    assert not changed, f"the final document or stderr differs: {changed}"
    missing = [s for s in real["events"] if s not in sim["events"]]
    assert not missing, "the sim differs from the real gemini (real -> sim):\n" + explain(
        missing, sim["events"]
    )
    known = all_recorded_shapes()
    invented = [s for s in sim["events"] if s not in known]
    assert not invented, "the real gemini never printed these (recorded -> sim):\n" + explain(
        invented, known
    )


def test_a_simulated_failure_ends_like_a_real_api_failure(sim_bin: Path, tmp_path: Path) -> None:
    """``mode=fail`` has no real twin case; its result is shaped like a real failed one."""
    real = gemini_shapes.load("http_500")["shape"]["events"][-1]
    proc = run_sim(sim_bin, tmp_path, "SIM: mode=fail", STREAM, {})
    assert proc.returncode == 1
    assert sim_shape(proc)["events"][-1] == real


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_worker_reads_the_sim_as_it_reads_the_real_gemini(
    sim_bin: Path, tmp_path: Path, case: str
) -> None:
    proc = run_sim(sim_bin, tmp_path, *CASES[case][:3])
    outcome = ProcessOutcome(proc.returncode, tuple(proc.stdout.splitlines()),
                             tuple(proc.stderr.splitlines()), False, False, False, 1, 0.1)  # fmt: skip
    result = get_adapter("gemini").parse(outcome)
    assert result.error_class is CASES[case][3], result.error
    if result.success:
        assert result.input_tokens > 0 and result.output_tokens > 0


def test_every_case_has_a_recording() -> None:
    recorded = {path.stem for path in gemini_shapes.RECORDINGS.glob("*.json")}
    assert set(CASES) <= recorded, "run the contract suite with CONVERGIO_RECORD=1"


# recording -> what the worker must conclude from the real CLI's output in it
RECORDED_CLASSES = {
    "success": ErrorClass.none, "tool_write": ErrorClass.none, "dash_prompt": ErrorClass.none,
    "unicode_prompt": ErrorClass.none, "large_prompt": ErrorClass.none,
    "json_success": ErrorClass.none, "retried_500": ErrorClass.none,
    "invalid_key": ErrorClass.auth, "no_key": ErrorClass.auth, "http_401": ErrorClass.auth,
    "http_403": ErrorClass.auth, "http_404": ErrorClass.model_not_found,
    "http_429": ErrorClass.rate_limit, "json_http_429": ErrorClass.rate_limit,
    "http_500": ErrorClass.failed, "dash_after_p": ErrorClass.failed,
    "untrusted": ErrorClass.failed,
}  # fmt: skip


def recorded_outcome(case: str, stderr_extra: tuple[str, ...] = ()) -> ProcessOutcome:
    """The recorded real output as the runner hands it to the worker (json's documents
    pretty-printed again, stream events one per line)."""
    data = gemini_shapes.load(case)
    pretty = case.startswith("json_")

    def lines(doc: dict[str, Any]) -> list[str]:
        return json.dumps(doc, indent=2).splitlines() if pretty else [json.dumps(doc)]

    stdout = tuple(line for doc in data["stdout"] for line in lines(doc))
    stderr = (*stderr_extra, *data["stderr"],
              *(line for doc in data["stderr_documents"] for line in lines(doc)))  # fmt: skip
    return ProcessOutcome(data["exit_code"], stdout, tuple(stderr), False, False, False, 1, 0.1)


@pytest.mark.parametrize("case", sorted(RECORDED_CLASSES))
def test_the_worker_reads_the_recorded_real_output(case: str) -> None:
    result = get_adapter("gemini").parse(recorded_outcome(case))
    assert result.error_class is RECORDED_CLASSES[case], result.error
    final = gemini_shapes.load(case)["stdout"][-1:] or [{}]
    stats = final[0].get("stats") or {}
    if final[0].get("type") == "result" and final[0].get("status") == "success":
        assert (result.input_tokens, result.output_tokens) == (
            stats["input_tokens"], stats["output_tokens"])  # fmt: skip
    if not result.success:
        assert result.error.count("\n") < 20, "a failure says why in a few lines"


def test_the_telling_line_survives_ten_attempts_of_stack_traces() -> None:
    """The CLI's default ten attempts print a stack trace each before the error: the
    worker's message still names the error, not the trace."""
    attempt = ["Attempt 1 failed with status 404. Retrying with backoff... _ApiError: x",
               *(f"    at frame{i} (file:///gemini.js:{i}:1)" for i in range(12)),
               "  status: 404", "}"]  # fmt: skip
    result = get_adapter("gemini").parse(recorded_outcome("http_404", tuple(attempt * 10)))
    assert result.error_class is ErrorClass.model_not_found
    assert "is not found for API version v1beta" in result.error
    assert "    at frame" not in result.error


@pytest.mark.parametrize(
    ("exit_code", "expected"),
    [(144, ErrorClass.failed), (145, ErrorClass.auth), (147, ErrorClass.auth),
     (173, ErrorClass.rate_limit), (244, ErrorClass.failed), (41, ErrorClass.auth)],
)  # fmt: skip
def test_the_status_in_the_exit_code_classifies_a_bare_failure(
    exit_code: int, expected: ErrorClass
) -> None:
    """Output lost (a log cut short, a recovered run): the exit code still tells."""
    outcome = ProcessOutcome(exit_code, (), (), False, False, False, 1, 0.1)
    result = get_adapter("gemini").parse(outcome)
    assert not result.success and result.error_class is expected
    assert f"exit code {exit_code}" in result.error


def test_thinking_tokens_count_as_output() -> None:
    """stream-json's ``output_tokens`` leaves thinking out; ``total_tokens`` has it, and
    Google bills it as output."""
    stats = {"input_tokens": 100, "output_tokens": 20, "total_tokens": 150,
             "models": {MODEL: {"input_tokens": 100, "output_tokens": 20,
                                "total_tokens": 150}}}  # fmt: skip
    line = json.dumps({"type": "result", "status": "success", "stats": stats})
    result = get_adapter("gemini").parse(
        ProcessOutcome(0, (line,), (), False, False, False, 1, 0.1)
    )
    assert (result.input_tokens, result.output_tokens) == (100, 50)


def test_a_missing_gemini_says_how_to_install_it(tmp_path: Path) -> None:
    """Unsandboxed the spawn itself fails; in the sandbox, bubblewrap says so (the contract
    suite runs that case)."""
    from convergio_tui.providers import run_process

    outcome = run_process(["gemini", "--prompt=hi"], cwd=tmp_path, env={"PATH": str(tmp_path)},
                          timeout_s=10, log_path=None)  # fmt: skip
    assert outcome.spawn_error is not None
    result = get_adapter("gemini").parse(outcome)
    assert result.error_class is ErrorClass.failed
    assert "gemini is not installed" in result.error and "npm install" in result.error


@pytest.mark.parametrize("case", sorted(RECORDED_CLASSES))
def test_the_dashboard_tells_the_recorded_real_output(case: str) -> None:
    """Every recorded run reads as a story: no JSON fragment or stack frame on screen, a
    failure says what failed, a success shows its answer."""
    outcome = recorded_outcome(case)
    describe = get_adapter("gemini").describe_line
    shown = [t for t in map(describe, [*outcome.stdout_lines, *outcome.stderr_lines]) if t]
    assert not [t for t in shown if t.lstrip().startswith(("{", "}", '"', "at "))], shown
    if RECORDED_CLASSES[case] is ErrorClass.none:
        assert not [t for t in shown if t.startswith("✘")], shown
        # Each delta shows as it comes: the pieces make the answer.
        answer = get_adapter("gemini").parse(outcome).text.split("\n\n")[-1]
        assert answer in "".join(shown), shown
    else:
        label = {ErrorClass.auth: "authentication failed", ErrorClass.rate_limit: "rate limited",
                 ErrorClass.model_not_found: "model not found"}.get(RECORDED_CLASSES[case])  # fmt: skip
        failures = [t for t in shown if t.startswith("✘")]
        assert failures or case in ("dash_after_p", "untrusted"), shown
        assert label is None or any(label in t for t in failures), shown
