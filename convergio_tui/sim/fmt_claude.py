"""Claude Code 2.1.332's ``--output-format stream-json`` (and ``json``), simulated.

Test and demo instrument (convergio-sim). The event types and key sets are those the real
CLI prints (``tests/contract/recordings/claude/``, checked by
``tests/test_sim_shapes_claude.py``): ``system``/``init``; ``assistant`` messages (text,
``tool_use``) and ``user`` tool results; the final answer as an ``assistant`` text, then
the ``result``. An API error is a synthetic assistant message (``model: "<synthetic>"``,
``error`` code, ``api_error_status``) and a ``result`` with ``subtype: "success"``,
``is_error: true``, the status, cost 0, exit 1. ``CLAUDE_CODE_MAX_RETRIES=N`` (only when
set) prints N ``system``/``api_retry`` lines before a rate limit. ``--max-budget-usd`` is
checked after each model call: ``error_max_budget_usd``, ``total_cost_usd`` = the calls
made, top-level usage 0, the tokens in ``modelUsage``, exit 1. A failure is
``error_during_execution`` with ``errors`` and the message on stderr, exit 1.
"""

from __future__ import annotations

import time

from convergio_tui.sim.behaviour import FileOp
from convergio_tui.sim.speaker import Speaker, ToolUse

VERSION = "2.1.332"
_TOOLS = ["Task", "Bash", "Edit", "Glob", "Grep", "Read", "TodoWrite", "WebFetch", "Write"]


def _timestamp(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def _usage(input_tokens: int, output_tokens: int) -> dict[str, object]:
    """A result's top-level ``usage``."""
    return {
        "input_tokens": input_tokens, "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0, "output_tokens": output_tokens,
        "output_tokens_details": {"thinking_tokens": 0},
        "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
        "service_tier": "standard",
        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
        "inference_geo": "", "iterations": [], "speed": "standard", "fallback_credit": None,
    }  # fmt: skip


def _model_usage(
    model: str, input_tokens: int, output_tokens: int, cost: float
) -> dict[str, object]:
    """A result's ``modelUsage`` (empty when no call was paid)."""
    if not (input_tokens or output_tokens or cost):
        return {}
    entry = {
        "inputTokens": input_tokens, "outputTokens": output_tokens, "cacheReadInputTokens": 0,
        "cacheCreationInputTokens": 0, "webSearchRequests": 0, "costUSD": cost,
        "contextWindow": 200000, "maxOutputTokens": 32000, "thinkingTokens": 0,
        "cacheCreationEphemeral5mInputTokens": 0, "cacheCreationEphemeral1hInputTokens": 0,
        "canonicalModel": model, "provider": "firstParty", "costBasis": "list",
    }  # fmt: skip
    return {model: entry}


_SUBAGENTS = {
    "spawned": 0, "requested": {"background": 0, "foreground": 0, "unset": 0},
    "started_in_background": 0, "max_depth": 0, "spawned_by_subagents": 0, "completed": 0,
    "failed": 0, "killed": {"parent": 0, "user": 0, "system": 0},
    "refused": {"depth_limit": 0, "concurrency_limit": 0, "budget": 0}, "by_type": {},
}  # fmt: skip


class ClaudeSpeaker(Speaker):
    """stream-json emits every event; json emits only the final result object."""

    def _event(self, obj: dict[str, object]) -> None:
        if self.req.fmt == "stream-json":
            self.emit(obj)

    def _line(self, kind: str, message: dict[str, object], **extra: object) -> None:
        """An ``assistant`` or ``user`` line around ``message``."""
        self._event({"type": kind, "message": message, "parent_tool_use_id": None,
                     "session_id": self.session_id, "uuid": self.uuid_like(),
                     "timestamp": _timestamp(self.host.time()), **extra})  # fmt: skip

    def _assistant(self, content: list[dict[str, object]]) -> None:
        # The real values are the call's input tokens and 1 (the stream's start); the sim
        # does not split its usage per call, so it reports none here, only in the result.
        usage = {"input_tokens": 0, "cache_creation_input_tokens": 0,
                 "cache_read_input_tokens": 0, "output_tokens": 0, "service_tier": "standard"}  # fmt: skip
        self._line("assistant", {
            "id": self.new_id("msg_"), "type": "message", "role": "assistant", "model": self.req.model,
            "content": content, "stop_reason": None, "stop_sequence": None, "usage": usage,
            "context_management": None,
        })  # fmt: skip

    def _api_error(self, text: str, code: str, status: int | None, kind: str | None) -> None:
        """The synthetic assistant message claude prints for an API error."""
        usage = {**_usage(0, 0), "output_tokens_details": None, "service_tier": None,
                 "inference_geo": None, "iterations": None, "speed": None}  # fmt: skip
        message = {
            "diagnostics": None, "id": self.uuid_like(), "container": None, "model": "<synthetic>",
            "role": "assistant", "stop_details": None, "stop_reason": "stop_sequence",
            "stop_sequence": "", "type": "message", "usage": usage,
            "content": [{"type": "text", "text": text}], "context_management": None,
        }  # fmt: skip
        extra: dict[str, object] = {"error": code, "is_api_error_message": True}
        if status is not None:  # an HTTP answer (not "Not logged in", which sends nothing)
            extra.update(
                request_id=self.new_id("req_"), api_error_status=status, api_error_type=kind
            )
        self._line("assistant", message, **extra)

    def start(self) -> None:
        """The ``system``/``init`` line."""
        cwd = self.host.cwd()
        slug = "".join(c if c.isalnum() else "-" for c in cwd)
        home = self.host.getenv("HOME") or ""
        self._event({
            "type": "system", "subtype": "init", "cwd": cwd, "session_id": self.session_id,
            "tools": _TOOLS, "mcp_servers": [], "model": self.req.model,
            "permissionMode": "bypassPermissions", "slash_commands": ["review", "init"],
            "terminal_slash_commands": [], "apiKeySource": "ANTHROPIC_API_KEY",
            "claude_code_version": VERSION, "output_style": "default",
            "agents": ["general-purpose"], "skills": [], "plugins": [], "capabilities": [],
            "analytics_disabled": True, "product_feedback_disabled": True,
            "served_by_anthropic": False, "uuid": self.uuid_like(), "sandbox_enabled": False,
            "memory_paths": {"auto": f"{home}/.claude/projects/{slug}/memory/"},
            "original_cwd": cwd, "additional_directories": [],
            "messaging_socket_path": f"/tmp/cc-socks/{self.host.pid()}.sock",
            "fast_mode_state": "off", "fast_mode_disabled_reason": "sdk_opt_in_required",
            "per_turn_effort_active": False, "ultrathink_available": False,
            "ultrathink_typed_raises": False, "view_mode": "default",
        })  # fmt: skip

    def say(self, text: str) -> None:
        """An assistant text message."""
        super().say(text)
        self._assistant([{"type": "text", "text": text}])

    def tool(self, op: FileOp, abs_path: str) -> None:
        """A Write/Edit tool_use, then the user tool_result."""
        super().tool(op, abs_path)
        tool_id = self.new_id("toolu_")
        if op.kind == "write":
            name, args = "Write", {"file_path": abs_path, "content": op.content}
        else:
            name = "Edit"
            args = {"file_path": abs_path, "old_string": "", "new_string": op.content}
        self._assistant([{"type": "tool_use", "id": tool_id, "name": name, "input": args}])
        said = f"The file {abs_path} has been updated successfully."
        if op.kind == "write":
            said = (f"File created successfully at: {abs_path} (file state is current in "
                    "your context — no need to Read it back)")  # fmt: skip
        change = {"type": "create" if op.kind == "write" else "update", "filePath": abs_path,
                  "content": op.content, "structuredPatch": [], "originalFile": None,
                  "userModified": False}  # fmt: skip
        decision = {"decision": "accept", "source": "config", "reason_type": "mode"}
        self._line("user",
                   {"role": "user", "content": [{"tool_use_id": tool_id, "type": "tool_result",
                                                 "content": said}]},
                   tool_use_result=change,
                   tool_result_meta=[{"id": tool_id, "permission_decision": decision}])  # fmt: skip

    def use(self, use: ToolUse) -> None:
        """A Read or Bash ``tool_use``, then the user ``tool_result`` (``is_error`` when the
        command failed)."""
        super().use(use)
        tool_id = self.new_id("toolu_")
        if use.kind == "read":
            name, args = "Read", {"file_path": use.target}
            lines = use.output.count("\n") + 1
            said: object = {"type": "text", "file": {"filePath": use.target,
                            "content": use.output, "numLines": lines, "startLine": 1,
                            "totalLines": lines}}  # fmt: skip
        else:
            name, args = "Bash", {"command": use.target}
            said = {"stdout": use.output, "stderr": "", "interrupted": False, "isImage": False}
        if not use.ok:
            said = f"Error: {use.output}"
        self._assistant([{"type": "tool_use", "id": tool_id, "name": name, "input": args}])
        result = {"tool_use_id": tool_id, "type": "tool_result", "content": use.output,
                  "is_error": not use.ok}  # fmt: skip
        self._line("user", {"role": "user", "content": [result]}, tool_use_result=said)

    def _result(self, subtype: str, *, ok: bool = False, text: str | None = None,
                status: int | None = None, kind: str | None = None, reason: str | None = None,
                errors: list[str] | None = None, spent: float | None = None) -> None:  # fmt: skip
        """The final ``result`` line, with the keys the real CLI prints in that case."""
        tokens_in = self.input_tokens if ok or spent is not None else 0
        tokens_out = self.output_tokens if ok else 0
        cost = self.cost_usd if ok else 0.0
        if spent is not None:  # stopped by its budget: what the calls made so far cost
            cost = spent
            tokens_out = round(self.output_tokens * spent / (self.cost_usd or 1))
        usage = _usage(0, 0) if spent is not None else _usage(tokens_in, tokens_out)
        models = _model_usage(self.req.model, tokens_in, tokens_out, cost)
        event: dict[str, object] = {
            "type": "result", "subtype": subtype, "is_error": not ok,
            "duration_ms": self.duration_ms, "duration_api_ms": self.duration_ms,
            "num_turns": 1 + self.tools, "session_id": self.session_id,
            "total_cost_usd": cost, "usage": usage, "modelUsage": models,
            "permission_denials": [], "uuid": self.uuid_like(), "result_index": 0,
            "stop_reason": "end_turn" if ok else ("tool_use" if errors else "stop_sequence"),
        }  # fmt: skip
        if errors is not None:
            event["errors"] = errors
        if reason is not None:  # not on a failure before the first turn
            event.update(terminal_reason=reason, fast_mode_state="off",
                         fast_mode_disabled_reason="sdk_opt_in_required",
                         subagent_stats=_SUBAGENTS, safety_stops=0, queued_turn_count=0,
                         model_usage_since_last_result=models)  # fmt: skip
        if text is not None:
            event.update(result=text, api_error_status=status)
        if kind is not None:
            event["api_error_type"] = kind
        if ok:
            event.update(ttft_ms=self.duration_ms, ttft_stream_ms=self.duration_ms,
                         time_to_request_ms=0, first_content_frame_ms=self.duration_ms)  # fmt: skip
        if subtype == "error_during_execution":
            event.update(stop_reason=None, num_turns=0)
        self.emit(event)

    def _api_failure(self, text: str, code: str, status: int, kind: str) -> int:
        self._api_error(text, code, status, kind)
        self._result("success", text=text, status=status, kind=kind, reason="api_error")
        return 1

    def finish(self, text: str) -> int:
        """The answer as an assistant message, then a successful result, exit 0."""
        self._assistant([{"type": "text", "text": text}])
        self._result("success", ok=True, text=text, reason="completed")
        return 0

    def fail(self, message: str) -> int:
        """``error_during_execution`` with ``errors``, the message on stderr, exit 1."""
        self._result("error_during_execution", errors=[message])
        self.emit_err(message)
        return 1

    def budget_exceeded(self, calls: int) -> int:
        """``error_max_budget_usd`` after the call that crossed ``--max-budget-usd``, exit 1."""
        self._result("error_max_budget_usd", reason="budget_exhausted",
                     spent=self.cost_after(calls),
                     errors=[f"Reached maximum budget (${self.req.limit:g})"])  # fmt: skip
        return 1

    def rate_limit(self) -> int:
        """A 429 after the CLI's own retries (``CLAUDE_CODE_MAX_RETRIES``), exit 1."""
        retries = int(self.host.getenv("CLAUDE_CODE_MAX_RETRIES") or 0)
        for attempt in range(1, retries + 1):
            self._event({"type": "system", "subtype": "api_retry", "attempt": attempt,
                         "max_retries": retries, "retry_delay_ms": 500 * 2 ** (attempt - 1),
                         "error_status": 429, "error": "rate_limit",
                         "session_id": self.session_id, "uuid": self.uuid_like()})  # fmt: skip
        text = ("API Error: Request rejected (429) · This request would exceed your rate "
                "limit.")  # fmt: skip
        return self._api_failure(text, "rate_limit", 429, "rate_limit_error")

    def auth(self) -> int:
        """An invalid API key: 401, exit 1."""
        self.start()
        text = "Invalid API key · Fix external API key"
        return self._api_failure(text, "authentication_failed", 401, "authentication_error")

    def model_not_found(self) -> int:
        """The selected-model error: 404, exit 1."""
        self.start()
        text = (
            f"There's an issue with the selected model ({self.req.model}). It may not exist "
            "or you may not have access to it. Run --model to pick a different model."
        )
        return self._api_failure(text, "model_not_found", 404, "not_found_error")
