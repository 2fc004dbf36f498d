"""The simulated claude prints what the pinned real claude prints: per case, the same exit
code, the same final event, every event kind the real CLI printed in that case (same keys),
and no event the real CLI never printed. The reference is the contract suite's recordings
(``tests/contract/recordings/claude/``); this test needs no real CLI. The worker is also
checked on the recorded real output itself, case by case.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import claude_shapes
import pytest

from convergio_tui.providers import ErrorClass, get_adapter
from convergio_tui.providers.runner import ProcessOutcome
from convergio_tui.sim.install import install_sim_bin, sim_path_env

ARGV = ["claude", "-p", "--output-format", "stream-json", "--verbose", "--model",
        "claude-sonnet-4-5", "--permission-mode", "bypassPermissions", "--max-turns", "30"]  # fmt: skip
WRITE = "SIM: write src/hello.py <<<print('hi')\\n>>>\n"

# recording -> (prompt, extra argv, extra environment, the worker's error class)
CASES: dict[str, tuple[str, tuple[str, ...], dict[str, str], ErrorClass]] = {
    "success": ("Say hello.", (), {}, ErrorClass.none),
    "tool_write": ("Write it.\n" + WRITE, (), {}, ErrorClass.none),
    "invalid_key": ("SIM: mode=auth", (), {}, ErrorClass.auth),
    "http_429": ("SIM: mode=rate_limit", (), {}, ErrorClass.rate_limit),
    "http_404": ("SIM: mode=model_not_found", (), {}, ErrorClass.model_not_found),
    "startup_failure": ("SIM: mode=fail", (), {}, ErrorClass.failed),
    # The shipped two retries: api_retry lines before the error.
    "retries_shipped": ("SIM: mode=rate_limit", (), {"CLAUDE_CODE_MAX_RETRIES": "2"},
                        ErrorClass.rate_limit),
    "budget": (WRITE + "SIM: write b.txt <<<b>>>\nSIM: cost=0.3 calls=3",
               ("--max-budget-usd", "0.1"), {}, ErrorClass.spending_limit),
}  # fmt: skip


@pytest.fixture(scope="module")
def sim_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulated CLIs, installed once for this module."""
    return install_sim_bin(tmp_path_factory.mktemp("simbin"))


def all_recorded_shapes() -> list[dict[str, Any]]:
    """Every event shape of every recording: what the real CLI can print."""
    shapes: list[dict[str, Any]] = []
    for path in sorted(claude_shapes.RECORDINGS.glob("*.json")):
        shapes += json.loads(path.read_text(encoding="utf-8"))["shape"]["events"]
    return shapes


def run_sim(sim_bin: Path, tmp_path: Path, case: str) -> subprocess.CompletedProcess[str]:
    """The simulated claude on one case, like the worker starts it (prompt on stdin)."""
    prompt, extra, env = CASES[case][:3]
    work = tmp_path / "work"
    work.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CONVERGIO_SIM_", "CLAUDE_"))}
    return subprocess.run([*ARGV, *extra], cwd=work, input=prompt, capture_output=True,
                          text=True, timeout=30, env={**sim_path_env(sim_bin, base), **env})  # fmt: skip


def kinds(shapes: list[dict[str, Any]]) -> list[str]:
    """Event kinds, for messages."""
    return [f"{s['type']}/{s.get('subtype', '-')}" for s in shapes]


def explain(wanted: list[dict[str, Any]], printed: list[dict[str, Any]]) -> str:
    """How each shape of ``wanted`` differs from the nearest of ``printed`` (same kind)."""
    lines = []
    for shape in wanted:
        same = [p for p in printed if kinds([p]) == kinds([shape])]
        if not same:
            lines.append(f"{kinds([shape])[0]}: never printed")
            continue
        best = min(same, key=lambda p: len(claude_shapes.differences(
            {"exit_code": 0, "events": [shape]}, {"exit_code": 0, "events": [p]})))  # fmt: skip
        diff = claude_shapes.differences({"exit_code": 0, "events": [shape]},
                                         {"exit_code": 0, "events": [best]})  # fmt: skip
        lines.append(f"{kinds([shape])[0]}: " + "; ".join(diff))
    return "\n".join(lines)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_sim_prints_the_shapes_the_real_claude_printed(
    sim_bin: Path, tmp_path: Path, case: str
) -> None:
    real = claude_shapes.load(case)["shape"]
    proc = run_sim(sim_bin, tmp_path, case)
    sim = claude_shapes.shape(proc.returncode, proc.stdout.splitlines())
    assert sim["exit_code"] == real["exit_code"], proc.stderr
    changed = claude_shapes.differences({**real, "events": real["events"][-1:]},
                                        {**sim, "events": sim["events"][-1:]})  # fmt: skip
    assert not changed, f"the final event differs: {changed}"
    missing = [s for s in real["events"] if s not in sim["events"]]
    assert not missing, "the sim differs from the real claude (real -> sim):\n" + explain(
        missing, sim["events"]
    )
    known = all_recorded_shapes()
    invented = [s for s in sim["events"] if s not in known]
    assert not invented, "the real claude never printed these (recorded -> sim):\n" + explain(
        invented, known
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_worker_reads_the_sim_as_it_reads_the_real_claude(
    sim_bin: Path, tmp_path: Path, case: str
) -> None:
    proc = run_sim(sim_bin, tmp_path, case)
    outcome = ProcessOutcome(proc.returncode, tuple(proc.stdout.splitlines()),
                             tuple(proc.stderr.splitlines()), False, False, False, 1, 0.1)  # fmt: skip
    result = get_adapter("claude").parse(outcome)
    assert result.error_class is CASES[case][3], result.error
    if case == "budget":  # the calls made before the limit, reported like the real CLI
        assert result.cost_usd == pytest.approx(0.1) and result.output_tokens > 0


def test_every_case_has_a_recording() -> None:
    recorded = {path.stem for path in claude_shapes.RECORDINGS.glob("*.json")}
    assert set(CASES) <= recorded, "run the contract suite with CONVERGIO_RECORD=1"


# recording -> what the worker must conclude from the real CLI's output in it
RECORDED_CLASSES = {
    "success": ErrorClass.none, "tool_write": ErrorClass.none, "dash_prompt": ErrorClass.none,
    "unicode_prompt": ErrorClass.none, "large_prompt": ErrorClass.none,
    "invalid_key": ErrorClass.auth, "no_key": ErrorClass.auth, "http_401": ErrorClass.auth,
    "http_403": ErrorClass.auth, "root_unsandboxed": ErrorClass.auth,
    "http_404": ErrorClass.model_not_found, "http_429": ErrorClass.rate_limit,
    "http_529": ErrorClass.rate_limit, "http_500": ErrorClass.failed,
    "retries_shipped": ErrorClass.failed, "max_turns": ErrorClass.failed,
    "startup_failure": ErrorClass.failed, "budget": ErrorClass.spending_limit,
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(RECORDED_CLASSES))
def test_the_worker_reads_the_recorded_real_output(case: str) -> None:
    data = claude_shapes.load(case)
    stdout = tuple(json.dumps(event) for event in data["stdout"]) + tuple(data["stdout_plain"])
    outcome = ProcessOutcome(data["exit_code"], stdout, tuple(data["stderr"]), False, False,
                             False, 1, 0.1)  # fmt: skip
    result = get_adapter("claude").parse(outcome)
    assert result.error_class is RECORDED_CLASSES[case], result.error
    final = data["stdout"][-1] if data["stdout"] else {}
    if final.get("type") == "result":
        assert result.cost_usd == final["total_cost_usd"]
    if case == "budget":  # top-level usage 0: the tokens come from modelUsage
        assert (result.input_tokens, result.output_tokens) == (2000, 400)
        assert final["usage"]["input_tokens"] == 0
    if case == "max_turns":
        assert "Reached maximum number of turns (1)" in result.error


def test_a_missing_claude_says_how_to_install_it(tmp_path: Path) -> None:
    """Unsandboxed (``sandbox.mode: off``) the spawn itself fails; in the sandbox,
    bubblewrap says so (the contract suite runs that case)."""
    from convergio_tui.providers import run_process

    outcome = run_process([*ARGV], cwd=tmp_path, env={"PATH": str(tmp_path)}, timeout_s=10,
                          log_path=None, stdin_text="hi")  # fmt: skip
    assert outcome.spawn_error is not None
    result = get_adapter("claude").parse(outcome)
    assert result.error_class is ErrorClass.failed
    assert "claude is not installed" in result.error and "npm install" in result.error
