"""Output panes read as a person would: described provider lines, marked stderr, notes.

The lines are written by the simulated CLIs run as real subprocesses through the real
runner into a real log, and read back by the real tailer (and, live, by the dashboard).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.providers import describer, get_adapter, run_process
from convergio_tui.sim.install import install_sim_bin, sim_path_env
from convergio_tui.store.models import Run
from convergio_tui.tui.app import create_app
from convergio_tui.tui.pane_lines import pane_lines
from convergio_tui.tui.tailer import LogTailer
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.output_pane import OutputPane, PaneLog, line_kind

SIZE = (160, 45)
MODELS = {"claude": "claude-opus-4-5", "copilot": "gpt-5", "gemini": "gemini-2.5-pro",
          "opencode": "ollama/qwen3-coder"}  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment with the simulated CLIs first on PATH."""
    return sim_path_env(install_sim_bin(tmp_path_factory.mktemp("simbin")))


def run_sim(provider: str, prompt: str, log: Path, env: dict[str, str]) -> None:
    """One run of the simulated CLI, logged as the engine logs it."""
    worker = get_adapter(provider)
    workdir = log.parent / "worktrees" / "1" / "T1-01"
    workdir.mkdir(parents=True, exist_ok=True)
    inv = worker.build_invocation(worker.DEFAULT_TEMPLATE, prompt, MODELS[provider], workdir)
    run_process(inv.argv, cwd=workdir, env={**env, **inv.env}, timeout_s=30, log_path=log,
                stdin_text=inv.stdin_text)  # fmt: skip


def tail(log: Path, provider: str, **options: int) -> list[str]:
    """Everything the tailer buffers for ``log`` in one sweep."""
    tailer = LogTailer(**options)
    tailer.follow(1, str(log), describer(provider))
    tailer.sweep()
    return tailer.drain(1, 10_000).lines


def test_a_claude_run_reads_as_a_story_in_the_pane(tmp_path: Path, env: dict[str, str]) -> None:
    log = tmp_path / "1.log"
    run_sim("claude", "Add it.\nSIM: write src/add.py <<<x = 1>>>\nSIM: cost=0.07", log, env)
    lines = tail(log, "claude")
    assert lines[0].startswith("[convergio] $ claude -p --output-format stream-json")
    assert lines[1:-1] == [
        "▶ session started · model claude-opus-4-5",
        "Working on the task (round 1).",
        "⚙ Write src/add.py",
        "↳ ok",
        "Done (round 1): wrote src/add.py.",
        lines[-2],
    ]
    assert lines[-2].startswith("✔ done · ") and lines[-2].endswith(" out tokens · $0.07")
    assert lines[-1].startswith("[convergio] exit code 0 after ")
    assert not any('{"type"' in line for line in lines)
    kinds = ["note", "tool", None, "tool", "quiet", None, "done", "note"]
    assert [line_kind(line) for line in lines] == kinds


def test_stderr_stays_marked_and_a_fatal_error_reads_as_a_failure(
    tmp_path: Path, env: dict[str, str]
) -> None:
    log = tmp_path / "2.log"
    run_sim("gemini", "SIM: mode=rate_limit", log, env)
    lines = tail(log, "gemini")
    assert "[err] ✘ rate limited (429)" in lines  # Gemini's JSON error on stderr
    assert line_kind("[err] ✘ rate limited (429)") == "failed"
    log2 = tmp_path / "3.log"
    run_sim("copilot", "SIM: mode=model_not_found", log2, env)
    stderr = [line for line in tail(log2, "copilot") if line.startswith("[err] ")]
    assert stderr == ['[err] Error: Model "gpt-5" from --model flag is not available. '
                      "Valid values: claude-sonnet-4.5, gpt-5, gpt-5-mini"]  # fmt: skip
    assert line_kind(stderr[0]) == "err"


def test_a_burst_is_described_only_as_far_as_the_buffer_keeps(
    tmp_path: Path, env: dict[str, str]
) -> None:
    log = tmp_path / "4.log"
    run_sim("claude", "SIM: lines=1", log, env)
    text = log.read_text()
    progress = next(line for line in text.splitlines() if "sim output line 1 of 1" in line)
    calls: list[str] = []

    def counted(line: str) -> str | None:
        calls.append(line)
        return describer("claude")(line)

    tailer = LogTailer(buffer_lines=200, max_read_bytes=64 * 1024 * 1024)
    tailer.follow(4, str(log), counted)
    tailer.sweep()
    assert tailer.drain(4, 1000).lines[-1].startswith("[convergio] exit code 0")
    calls.clear()
    with log.open("a") as handle:  # 30,000 real assistant lines (about 15 MB) at once
        handle.write((progress + "\n") * 30_000)
    tailer.sweep()
    drained = tailer.drain(4, 1000)
    assert drained.lines == ["sim output line 1 of 1"] * 200
    assert drained.dropped_lines == 29_800
    assert len(calls) == 200  # described what the buffer keeps, not 30,000 lines


def test_a_describer_that_fails_shows_the_raw_line() -> None:
    def broken(line: str) -> str | None:
        raise RuntimeError("a bug")

    assert pane_lines(b'[out] {"type":"x"}', broken) == ['{"type":"x"}']
    assert pane_lines(b"[err] boom", broken) == ["[err] boom"]


def test_a_long_message_is_cut_to_a_bounded_number_of_lines() -> None:
    def echo(line: str) -> str | None:
        return line.replace("|", "\n")

    lines = pane_lines(("[out] " + "|".join(f"l{i}" for i in range(100))).encode(), echo)
    assert len(lines) == 40 and lines[0] == "l0" and lines[-1].startswith("… 61 more lines")


def test_the_dashboard_pane_shows_described_output_and_dims_stderr(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config, env: dict[str, str]
) -> None:
    run_id = sample.running_runs["T2-01"]
    run = Run.get_by_id(run_id)
    log = Path(run.log_path)
    assert log.read_text().count('{"type"') > 5  # the sample logs hold the CLI's JSON

    async def scenario() -> None:
        config = sample_data.sample_config(shipped_config)
        app = create_app(isolated_home / "convergio.db", config, sample.plan_id,
                         poll_interval_s=0.1, clock=lambda: sample_data.SAMPLE_NOW)  # fmt: skip
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            pane = next(p for p in app.screen.query(OutputPane) if p.run.run_id == run_id)
            # The pane composes its log after it is mounted: lines written mean it is there.
            await wait_until(pilot, lambda: pane.lines_written > 0, timeout_s=30)
            pane_log = pane.query_one(PaneLog)
            prompt = "Go.\nSIM: write app/auth/login.py <<<ok>>>"
            await asyncio.to_thread(run_sim, run.provider, prompt, log, env)
            await wait_until(pilot, lambda: any(
                line.startswith("[convergio] exit code 0") for line in pane_log.lines),
                timeout_s=30)  # fmt: skip
            assert not any('{"type"' in line for line in pane_log.lines)
            assert any(line.endswith("app/auth/login.py") and line.startswith("⚙ ")
                       for line in pane_log.lines)  # fmt: skip
            # The pane scrolls to its new lines: drawn at the next frame.
            await wait_until(
                pilot, lambda: "Working on the task (round 1)." in screen_text(app), timeout_s=30
            )
            # the stderr line of the sample log is on screen, dimmed
            y = next(i for i, line in enumerate(pane_log.lines) if line.startswith("[err] "))
            pane_log.scroll_to(y=y, animate=False, immediate=True)
            await pilot.pause()
            strip = pane_log.render_line(y - round(pane_log.scroll_offset.y))
            assert strip.text.startswith("[err] ")
            assert all(seg.style is not None and seg.style.dim for seg in strip if seg.text.strip())

    asyncio.run(scenario())
