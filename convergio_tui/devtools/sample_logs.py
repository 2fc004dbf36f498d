"""Logs of the sample plan's runs, in each provider's real JSON-lines format.

The screenshots and the UI tests read them: the output panes show them described (what
a person reads), the task detail's full log shows them raw, as for a real run. One
story per run, told in the provider's own events (see docs/providers.md and ``sim/fmt_*``).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from convergio_tui.providers import PROVIDERS, get_adapter

# The tool a step uses, by provider: reading, editing, creating a file, running a command.
_TOOLS = {
    "claude": {"read": "Read", "edit": "Edit", "write": "Write", "shell": "Bash"},
    "copilot": {"read": "view", "edit": "edit", "write": "create", "shell": "bash"},
    "gemini": {"read": "read_file", "edit": "replace", "write": "write_file",
               "shell": "run_shell_command"},
    "opencode": {"read": "read", "edit": "edit", "write": "write", "shell": "bash"},
}  # fmt: skip
_PATH_KEY = {
    "claude": "file_path",
    "copilot": "path",
    "gemini": "file_path",
    "opencode": "filePath",
}


@dataclass(frozen=True)
class Tool:
    """One tool call and how it ended."""

    kind: str  # read, edit, write or shell
    target: str  # a path in the worktree, or a command
    ok: bool = True
    detail: str = ""


Step = str | Tool  # assistant text, or a tool call


def _story(title: str, slug: str) -> list[Step]:
    test = f"tests/test_{slug}.py"
    return [
        "Reading the auth package and its tests first.",
        Tool("read", "app/auth/session.py"),
        f"Plan: {title.lower()} with a focused change and tests.",
        Tool("edit", f"app/auth/{slug}.py"),
        Tool("write", test),
        Tool("shell", f"pytest -q {test}", ok=False,
             detail=f"FAILED {test}::test_rejects_bad_input - AssertionError: 400 != 422"),
        "The payload is hashed before it is validated; validating first.",
        Tool("edit", f"app/auth/{slug}.py"),
        Tool("shell", f"pytest -q {test}", detail="11 passed in 0.91s"),
        Tool("shell", "ruff check app tests", detail="All checks passed!"),
    ]  # fmt: skip


class _Writer:
    """Collects one run's log lines in the engine's ``[out]``/``[err]`` format."""

    def __init__(self, provider: str, model: str, worktree: str) -> None:
        self.provider, self.model, self.worktree = provider, model, worktree
        self.lines: list[str] = []
        self.calls = 0

    def out(self, event: dict[str, object]) -> None:
        self.lines.append("[out] " + json.dumps(event, separators=(",", ":"), ensure_ascii=False))

    def args(self, tool: Tool) -> dict[str, object]:
        if tool.kind == "shell":
            return {"command": tool.target}
        return {_PATH_KEY[self.provider]: f"{self.worktree}/{tool.target}"}

    def call_id(self) -> str:
        self.calls += 1
        return f"call_{self.calls:04d}"


def _claude(w: _Writer, step: Step | None, done: tuple[int, int, float] | None) -> None:
    def message(role: str, content: list[dict[str, object]]) -> None:
        w.out({"type": "assistant" if role == "assistant" else "user",
               "message": {"model": w.model, "role": role, "content": content}})  # fmt: skip

    if isinstance(step, str):
        message("assistant", [{"type": "text", "text": step}])
    elif isinstance(step, Tool):
        cid = w.call_id()
        name = _TOOLS["claude"][step.kind]
        message("assistant", [{"type": "tool_use", "id": cid, "name": name, "input": w.args(step)}])
        message("user", [{"type": "tool_result", "tool_use_id": cid, "is_error": not step.ok,
                          "content": step.detail or "ok"}])  # fmt: skip
    elif done is not None:
        w.out({"type": "result", "subtype": "success", "is_error": False, "result": "Done.",
               "total_cost_usd": done[2],
               "usage": {"input_tokens": done[0], "output_tokens": done[1]}})  # fmt: skip
    else:
        w.out({"type": "system", "subtype": "init", "model": w.model, "cwd": w.worktree})


def _copilot(w: _Writer, step: Step | None, done: tuple[int, int, float] | None) -> None:
    if isinstance(step, str):
        w.out({"type": "assistant.message", "data": {"content": step}})
    elif isinstance(step, Tool):
        cid = w.call_id()
        name = _TOOLS["copilot"][step.kind]
        w.out(
            {
                "type": "tool.execution_start",
                "data": {"toolCallId": cid, "toolName": name, "arguments": w.args(step)},
            }
        )
        end: dict[str, object] = {"toolCallId": cid, "success": step.ok}
        end |= (
            {"result": {"content": step.detail}} if step.ok else {"error": {"message": step.detail}}
        )
        w.out({"type": "tool.execution_complete", "data": end})  # fmt: skip
    elif done is not None:
        w.out({"type": "result", "exitCode": 0, "usage": {"premiumRequests": 1}})
    else:
        w.out({"type": "session.start", "data": {"model": w.model, "cwd": w.worktree}})


def _gemini(w: _Writer, step: Step | None, done: tuple[int, int, float] | None) -> None:
    if isinstance(step, str):
        w.out({"type": "message", "role": "assistant", "content": step + "\n", "delta": True})
    elif isinstance(step, Tool):
        cid = w.call_id()
        name = _TOOLS["gemini"][step.kind]
        w.out({"type": "tool_use", "tool_name": name, "tool_id": cid, "parameters": w.args(step)})
        end: dict[str, object] = {"type": "tool_result", "tool_id": cid}
        end |= (
            {"status": "success", "output": step.detail}
            if step.ok
            else {"status": "error", "error": {"message": step.detail}}
        )
        w.out(end)  # fmt: skip
    elif done is not None:
        tokens = {"prompt": done[0], "candidates": done[1]}
        w.out({"type": "result", "status": "success",
               "stats": {"models": {w.model: {"tokens": tokens}}}})  # fmt: skip
    else:
        w.out({"type": "init", "model": w.model})


def _opencode(w: _Writer, step: Step | None, done: tuple[int, int, float] | None) -> None:
    if isinstance(step, str):
        w.out({"type": "text", "part": {"type": "text", "text": step}})
    elif isinstance(step, Tool):
        state = {"status": "completed" if step.ok else "error", "input": w.args(step)}
        state |= {"output": step.detail} if step.ok else {"error": step.detail}
        w.out({"type": "tool_use", "part": {"type": "tool", "callID": w.call_id(),
                                            "tool": _TOOLS["opencode"][step.kind], "state": state}})  # fmt: skip
    elif done is not None:
        tokens = {"input": done[0], "output": done[1], "reasoning": 0}
        w.out({"type": "step_finish",
               "part": {"type": "step-finish", "reason": "stop", "cost": 0, "tokens": tokens}})  # fmt: skip
    else:
        w.out({"type": "step_start", "part": {"type": "step-start"}})


_ENCODERS: dict[str, Callable[[_Writer, Step | None, tuple[int, int, float] | None], None]] = {
    "claude": _claude, "copilot": _copilot, "gemini": _gemini, "opencode": _opencode,
}  # fmt: skip


def sample_log(
    provider: str,
    model: str,
    *,
    title: str,
    slug: str,
    worktree: str,
    done: tuple[int, int, float] | None,
) -> list[str]:
    """One run's log lines; ``done`` (input, output tokens, USD) ends a finished run."""
    provider = provider if provider in PROVIDERS else "opencode"
    encode, w = _ENCODERS[provider], _Writer(provider, model, worktree)
    worker = get_adapter(provider)
    call = worker.build_invocation(worker.DEFAULT_TEMPLATE, title, model, Path(worktree))
    stdin = " < prompt on stdin" if call.stdin_text is not None else ""
    w.lines.append(f"[convergio] $ {shlex.join(call.argv)}{stdin}")  # as the runner logs it
    encode(w, None, None)
    for i, step in enumerate(_story(title, slug)):
        encode(w, step, None)
        if i == 5:  # a warning on stderr, as node-based CLIs print them
            w.lines.append("[err] (node:4242) Warning: an experimental feature is in use")
    if done is not None:
        encode(w, None, done)
        w.lines.append("[convergio] exit code 0 after 238.40s")
    return w.lines
