"""Claude Code's ``--output-format stream-json`` (and ``json``), simulated.

Test and demo instrument (convergio-sim). Lines: ``system``/``init``, ``assistant``
messages (text and ``tool_use``), ``user`` tool results, and a final ``result``. The
rate limit is the real trap: ``subtype: "success"``, ``is_error: true``,
``api_error_status: 429`` and exit 0. ``--max-budget-usd`` is honoured as the real CLI does:
checked after each model call, so the run stops with ``subtype: "error_max_budget_usd"``
and a ``total_cost_usd`` that passed the limit by at most that call.
"""

from __future__ import annotations

import os

from convergio_tui.sim.behaviour import FileOp
from convergio_tui.sim.speaker import Speaker, new_id, uuid_like


class ClaudeSpeaker(Speaker):
    """stream-json emits every event; json emits only the final result object."""

    def _event(self, obj: dict[str, object]) -> None:
        if self.req.fmt == "stream-json":
            self.emit(obj)

    def _assistant(self, content: list[dict[str, object]]) -> None:
        message = {
            "model": self.req.model,
            "id": new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "content": content,
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        self._event(
            {
                "type": "assistant",
                "message": message,
                "parent_tool_use_id": None,
                "session_id": self.session_id,
                "uuid": uuid_like(),
            }
        )

    def start(self) -> None:
        """The ``system``/``init`` line."""
        self._event(
            {
                "type": "system",
                "subtype": "init",
                "cwd": os.getcwd(),
                "session_id": self.session_id,
                "tools": ["Bash", "Edit", "Glob", "Grep", "Read", "Write"],
                "mcp_servers": [],
                "model": self.req.model,
                "permissionMode": "bypassPermissions",
                "apiKeySource": "none",
                "claude_code_version": "2.0.14",
                "output_style": "default",
                "uuid": uuid_like(),
            }
        )

    def say(self, text: str) -> None:
        """An assistant text message."""
        super().say(text)
        self._assistant([{"type": "text", "text": text}])

    def tool(self, op: FileOp, abs_path: str) -> None:
        """A Write/Edit tool_use, then the user tool_result."""
        super().tool(op, abs_path)
        tool_id = new_id("toolu_")
        name = "Write" if op.kind == "write" else "Edit"
        self._assistant(
            [
                {
                    "type": "tool_use",
                    "id": tool_id,
                    "name": name,
                    "input": {"file_path": abs_path, "content": op.content},
                }
            ]
        )
        self._event(
            {
                "type": "user",
                "message": {
                    "role": "user",
                    "content": [
                        {
                            "tool_use_id": tool_id,
                            "type": "tool_result",
                            "content": f"File written successfully at: {abs_path}",
                        }
                    ],
                },
                "parent_tool_use_id": None,
                "session_id": self.session_id,
                "uuid": uuid_like(),
            }
        )

    def _result(
        self,
        text: str,
        *,
        subtype: str,
        is_error: bool,
        terminal_reason: str,
        status: int | None,
        spent: float | None = None,
        errors: list[str] | None = None,
    ) -> None:
        cost = self.cost_usd if not is_error or status == 429 else 0.0
        out_tokens = self.output_tokens if not is_error else 0
        if spent is not None:  # stopped by its budget: what the calls made so far cost
            cost, out_tokens = spent, round(self.output_tokens * spent / (self.cost_usd or 1))
        body: dict[str, object] = {"result": text} if errors is None else {"errors": errors}
        self.emit(
            {
                "type": "result",
                "subtype": subtype,
                "is_error": is_error,
                "duration_ms": self.duration_ms,
                "duration_api_ms": self.duration_ms,
                "num_turns": 1 + self.tools,
                **body,
                "session_id": self.session_id,
                "terminal_reason": terminal_reason,
                "api_error_status": status,
                "total_cost_usd": cost,
                "usage": {
                    "input_tokens": self.input_tokens,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": out_tokens,
                    "service_tier": "standard",
                },
                "modelUsage": {
                    self.req.model: {
                        "inputTokens": self.input_tokens,
                        "outputTokens": out_tokens,
                        "cacheReadInputTokens": 0,
                        "cacheCreationInputTokens": 0,
                        "costUSD": cost,
                        "contextWindow": 200000,
                    }
                },
                "permission_denials": [],
                "uuid": uuid_like(),
            }
        )

    def finish(self, text: str) -> int:
        """A successful result, exit 0."""
        self._result(
            text, subtype="success", is_error=False, terminal_reason="completed", status=None
        )
        return 0

    def fail(self, message: str) -> int:
        """``error_during_execution``, is_error true, exit 1."""
        self._result(
            message,
            subtype="error_during_execution",
            is_error=True,
            terminal_reason="error",
            status=None,
        )
        return 1

    def budget_exceeded(self, calls: int) -> int:
        """``error_max_budget_usd`` after the call that crossed ``--max-budget-usd``, exit 1."""
        self._result(
            "",
            subtype="error_max_budget_usd",
            is_error=True,
            terminal_reason="max_budget_usd",
            status=None,
            spent=self.cost_after(calls),
            errors=[f"Reached maximum budget (${self.req.limit:g})"],
        )
        return 1

    def rate_limit(self) -> int:
        """The trap: success subtype, is_error true, 429, exit 0."""
        self._event(
            {
                "type": "rate_limit_event",
                "rate_limit_info": {"status": "rejected", "rateLimitType": "five_hour"},
                "session_id": self.session_id,
            }
        )
        text = (
            'API Error: 429 {"type":"error","error":{"type":"rate_limit_error",'
            '"message":"This request would exceed your rate limit."}}'
        )
        self._result(
            text, subtype="success", is_error=True, terminal_reason="api_error", status=429
        )
        return 0

    def auth(self) -> int:
        """Invalid API key: is_error true, 401, exit 1."""
        self.start()
        self._result(
            "Invalid API key · Please run /login",
            subtype="success",
            is_error=True,
            terminal_reason="api_error",
            status=401,
        )
        return 1

    def model_not_found(self) -> int:
        """The selected-model error: is_error true, 404, exit 1."""
        self.start()
        text = (
            f"There's an issue with the selected model ({self.req.model}). It may not exist "
            "or you may not have access to it. Run --model to pick a different model."
        )
        self._assistant([{"type": "text", "text": text}])
        self._result(
            text, subtype="success", is_error=True, terminal_reason="api_error", status=404
        )
        return 1
