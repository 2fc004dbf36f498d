"""Copilot's session log as the copilot worker reads it: tokens, AI credits, and only a
UUID turned into a path (the session id comes from the agent's output)."""

from __future__ import annotations

import json
from pathlib import Path

from convergio_tui.providers.copilot_usage import (
    read_session_usage,
    session_log,
    usage_from_shutdown,
)

SESSION = "0cb916db-26aa-40f2-86b5-1ba81b225fd2"


def shutdown(status: str, nano: float) -> dict[str, object]:
    """A ``session.shutdown`` ``data`` as copilot 1.0.102 writes it (two models)."""
    usage = {"inputTokens": 1000, "outputTokens": 50, "cacheReadTokens": 7, "cacheWriteTokens": 0}
    return {
        "totalPremiumRequests": 1,
        "totalNanoAiu": nano,
        "modelMetrics": {"gpt-5": {"usage": usage}, "gpt-5-mini": {"usage": usage}},
        "accountingSnapshot": {"aiCreditsStatus": status},
    }


def test_tokens_are_summed_and_credits_unknown_when_copilot_says_unavailable() -> None:
    billed = usage_from_shutdown(shutdown("complete", 2_500_000_000))
    assert (billed.input_tokens, billed.output_tokens, billed.credits) == (2000, 100, 2.5)
    byok = usage_from_shutdown(shutdown("unavailable", 0))
    assert byok.credits is None and byok.input_tokens == 2000  # unknown, not free


def test_the_last_shutdown_of_the_log_counts(tmp_path: Path) -> None:
    env = {"COPILOT_HOME": str(tmp_path)}
    log = session_log(SESSION, env)
    assert log == tmp_path / "session-state" / SESSION / "events.jsonl"
    log.parent.mkdir(parents=True)
    lines = [{"type": "session.shutdown", "data": shutdown("complete", 1e9)},
             {"type": "user.message", "data": {"content": '"session.shutdown"'}},
             {"type": "session.shutdown", "data": shutdown("complete", 3e9)}]  # fmt: skip
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n")
    found = read_session_usage(SESSION, env)
    assert found is not None and found.credits == 3.0
    assert read_session_usage("0cb916db-26aa-40f2-86b5-000000000000", env) is None  # no log


def test_only_a_uuid_becomes_a_path(tmp_path: Path) -> None:
    env = {"COPILOT_HOME": str(tmp_path), "HOME": str(tmp_path)}
    for bad in ("../../etc", "/etc/passwd", f"{SESSION}/../x", f"{SESSION}\n", ""):
        assert session_log(bad, env) is None and read_session_usage(bad, env) is None
    assert session_log(SESSION, {"HOME": str(tmp_path)}) == (
        tmp_path / ".copilot" / "session-state" / SESSION / "events.jsonl"
    )
