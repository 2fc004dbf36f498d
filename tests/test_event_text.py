"""One describer for every reader of the engine's events: what a line says, and which
events are not worth one."""

from __future__ import annotations

from convergio_tui.engine.event_text import describe
from convergio_tui.engine.events import (
    Notice,
    PlanChanged,
    RunFinished,
    RunStarted,
    TaskChanged,
    WaveChanged,
)


def test_each_event_kind_reads_as_one_line() -> None:
    assert describe(RunStarted(7, 1, "T1", "copilot", "gpt-5", "/x.log", "claude")) == (
        "T1         running    copilot·gpt-5 (fallback from claude)"
    )
    assert describe(TaskChanged(1, "done", "T1", "accepted by Thor")) == (
        "T1         done       accepted by Thor"
    )
    assert describe(RunFinished(7, 1, "T1", "timeout", 0.0, "timed out after 30s")) == (
        "T1         run 7 timeout: timed out after 30s"
    )
    assert describe(WaveChanged(3, 1, "done")) == "wave 1 done"
    assert describe(Notice("warning", "budget.alert", "80%")) == "[budget.alert] 80%"
    assert describe(PlanChanged(1, "done")) == "plan done"
    # A run sent to a Ray cluster says which node took it (execution.backend: ray).
    assert describe(Notice("info", "run.node", "T1: run 4 on node gpu-box/1a2b3c4d")) == (
        "T1         placed     run 4 on node gpu-box/1a2b3c4d"
    )


def test_events_not_worth_a_line_are_silent() -> None:
    assert describe(TaskChanged(1, "running", "T1", "claude·opus")) == ""  # RunStarted said it
    assert describe(RunFinished(7, 1, "T1", "succeeded", 0.1)) == ""
    assert describe(Notice("info", "task.branch", "synced")) == ""
