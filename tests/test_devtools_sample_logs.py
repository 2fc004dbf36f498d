"""The sample run logs are what the simulated CLIs print, as the engine logs it.

Screenshots and UI tests show them, so they must read as a real run does: the engine's
own parser takes a finished one for a success with the tokens and cost the sample
database holds, the dashboard describes every line as a story, and nothing in them
changes from one seeding to the next.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convergio_tui.devtools import sample_data
from convergio_tui.devtools.sample_logs import sample_log
from convergio_tui.providers import PROVIDERS, ProcessOutcome, describer, get_adapter
from convergio_tui.store.models import Run

MODELS = {"claude": "claude-opus-4-5", "copilot": "gpt-5", "gemini": "gemini-2.5-pro",
          "opencode": "ollama/qwen3-coder"}  # fmt: skip
WORKTREE = "/home/dev/.convergio/worktrees/1/T2-01"
DONE = (18_900, 3_180, 1.27)


def log(provider: str, done: tuple[int, int, float] | None = DONE) -> list[str]:
    """One sample run's log lines."""
    return sample_log(provider, MODELS[provider], title="Implement login endpoint",
                      slug="t2_01", worktree=WORKTREE, started_at=1_779_286_380.0, done=done)  # fmt: skip


def outcome(lines: list[str]) -> ProcessOutcome:
    """The runner's outcome of a run that logged ``lines`` and exited 0."""
    out = tuple(line[6:] for line in lines if line.startswith("[out] "))
    err = tuple(line[6:] for line in lines if line.startswith("[err] "))
    return ProcessOutcome(exit_code=0, stdout_lines=out, stderr_lines=err, timed_out=False,
                          cancelled=False, truncated=False, pid=4242, duration_s=231.0)  # fmt: skip


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_engine_reads_a_finished_sample_run_as_the_database_has_it(provider: str) -> None:
    result = get_adapter(provider).parse(outcome(log(provider)))
    assert result.success, result.error
    if provider != "copilot":  # copilot's JSON output carries no tokens (its session log does)
        assert (result.input_tokens, result.output_tokens) == DONE[:2]
    if provider == "claude":
        assert result.cost_usd == pytest.approx(DONE[2])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_sample_log_is_the_runner_s_lines_around_the_cli_s_own_events(provider: str) -> None:
    lines = log(provider)
    assert lines[0].startswith(f"[convergio] $ {provider} ")
    assert lines[-1].startswith("[convergio] exit code 0 after ")
    for line in lines[1:-1]:
        stream, _, text = line.partition(" ")
        assert stream in ("[out]", "[err]"), line
        if stream == "[out]":
            assert isinstance(json.loads(text), dict)
    assert log(provider) == lines  # the same bytes every time: screenshots stay put
    assert not any("exit code" in line for line in log(provider, None))  # a live run goes on


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_running_sample_reads_as_a_story_on_the_dashboard(provider: str) -> None:
    describe = describer(provider)
    shown = [d for line in log(provider, None)[1:] if (d := describe(line))]
    text = "\n".join(shown)
    assert "Reading the auth package and its tests first." in text
    assert "↳ error: FAILED tests/test_t2_01.py::test_rejects_bad_input" in text
    assert text.count("pytest -q tests/test_t2_01.py") == 2
    assert not any(s.startswith("✔ done") for s in shown)  # still running
    assert '{"type"' not in text


def test_the_seeded_database_points_at_its_logs(
    sample: sample_data.SampleIds, isolated_home: Path
) -> None:
    runs = list(Run.select())
    assert runs and all(Path(r.log_path).parent == sample.logs_dir for r in runs)
    running = Run.get_by_id(sample.running_runs["T2-01"])
    text = Path(running.log_path).read_text(encoding="utf-8")
    assert "exit code" not in text and text.count("[out] {") > 10
    finished = next(r for r in runs if r.status == "succeeded" and r.provider == "claude")
    result = get_adapter("claude").parse(
        outcome(Path(finished.log_path).read_text(encoding="utf-8").splitlines())
    )
    assert (result.input_tokens, result.output_tokens) == (
        finished.input_tokens,
        finished.output_tokens,
    )
    assert result.cost_usd == pytest.approx(finished.cost_usd)
