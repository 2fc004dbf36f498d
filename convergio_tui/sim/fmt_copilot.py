"""GitHub Copilot CLI's ``--output-format json`` event lines, simulated.

Test and demo instrument (convergio-sim). Events ``{"type": ..., "data": {...}}``; the
answer is in ``assistant.message`` ``data.content``; the last line is
``{"type": "result", "exitCode": 0, "usage": {"premiumRequests": 1, "aiCredits": ...}}``
(AI credits: the run's cost at $0.01 a credit). The trap: stale authentication exits 0
with no output at all. ``--max-ai-credits`` is honoured as the real CLI does: checked
after each model call; a run it stops ends with a ``session.error`` of type
``session_limit`` and a failed result carrying the credits spent.
"""

from __future__ import annotations

import os
import time

from convergio_tui.sim.behaviour import FileOp
from convergio_tui.sim.speaker import SIM_USD_PER_CREDIT, Speaker, new_id


class CopilotSpeaker(Speaker):
    """Copilot's JSON event stream."""

    def _event(self, kind: str, data: dict[str, object]) -> None:
        self.emit(
            {
                "type": kind,
                "data": data,
                "id": new_id(size=8),
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )

    def _result(self, exit_code: int, premium: int, credits: float | None = None) -> None:
        self.emit(
            {
                "type": "result",
                "exitCode": exit_code,
                "sessionId": self.session_id,
                "usage": {
                    "premiumRequests": premium,
                    "aiCredits": self.credits if credits is None else credits,
                    "totalApiDurationMs": self.duration_ms,
                    "sessionDurationMs": self.duration_ms,
                    "codeChanges": {
                        "linesAdded": sum(op.content.count("\n") + 1 for op in self.beh.ops),
                        "linesRemoved": 0,
                        "filesModified": [op.path for op in self.beh.ops],
                    },
                },
            }
        )

    def start(self) -> None:
        """``session.start`` with the model and cwd."""
        self._event(
            "session.start",
            {"sessionId": self.session_id, "model": self.req.model, "cwd": os.getcwd()},
        )

    def say(self, text: str) -> None:
        """An ``assistant.message``."""
        super().say(text)
        self._event("assistant.message", {"messageId": new_id(size=8), "content": text})

    def tool(self, op: FileOp, abs_path: str) -> None:
        """``tool.execution_start`` then ``tool.execution_complete``."""
        super().tool(op, abs_path)
        call_id = new_id("call_", 8)
        name = "create" if op.kind == "write" else "edit"
        self._event(
            "tool.execution_start",
            {"toolCallId": call_id, "toolName": name, "arguments": {"path": abs_path}},
        )
        self._event(
            "tool.execution_complete",
            {"toolCallId": call_id, "success": True, "result": {"content": f"wrote {abs_path}"}},
        )

    def finish(self, text: str) -> int:
        """A last message and a result with exitCode 0."""
        self._event("assistant.message", {"messageId": new_id(size=8), "content": text})
        self._result(0, 1)
        return 0

    def fail(self, message: str) -> int:
        """``session.error`` then a result with exitCode 1, exit 1."""
        self._event("session.error", {"errorType": "error", "message": message})
        self._result(1, 1)
        return 1

    def rate_limit(self) -> int:
        """``session.error`` mentioning 429, a failed result, exit 1."""
        self._event(
            "session.error",
            {
                "errorType": "rate_limit",
                "message": "429 Too Many Requests: you have exceeded your rate limit. "
                "Please try again later.",
            },
        )
        self._result(1, 0, 0.0)
        return 1

    def budget_exceeded(self, calls: int) -> int:
        """``session.error`` (session_limit) after the call that crossed the limit, exit 1."""
        spent = round(self.cost_after(calls) / SIM_USD_PER_CREDIT, 4)
        self._event(
            "session.error",
            {
                "errorType": "session_limit",
                "message": f"AI credit session limit reached: {spent:g} of "
                f"{self.req.limit:g} AI credits used",
            },
        )
        self._result(1, 1, spent)
        return 1

    def auth(self) -> int:
        """The trap: nothing at all on either stream, exit 0."""
        return 0

    def model_not_found(self) -> int:
        """A plain error on stderr, exit 1."""
        self.emit_err(
            f'Error: Model "{self.req.model}" from --model flag is not available. '
            "Valid values: claude-sonnet-4.5, gpt-5, gpt-5-mini"
        )
        return 1
