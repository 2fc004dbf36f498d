"""Gemini CLI's ``-o stream-json`` (and ``-o json``), simulated.

Test and demo instrument (convergio-sim). Stream events: ``init``, ``message`` (assistant
text as deltas), ``tool_use``, ``tool_result``, ``error`` and ``result`` with ``status``
and ``stats.models.<m>.tokens``. Fatal errors print JSON on stderr with the real exit
codes: 41 authentication, 1 error, and 429 leaking as exit 173 for a quota error.
"""

from __future__ import annotations

import time

from convergio_tui.sim.behaviour import FileOp
from convergio_tui.sim.speaker import Speaker, new_id


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class GeminiSpeaker(Speaker):
    """stream-json emits events; json emits one object at the end."""

    def _event(self, kind: str, **fields: object) -> None:
        if self.req.fmt == "stream-json":
            self.emit({"type": kind, "timestamp": _now(), **fields})

    def _stats(self) -> dict[str, object]:
        tokens = {
            "prompt": self.input_tokens,
            "candidates": self.output_tokens,
            "total": self.input_tokens + self.output_tokens,
            "cached": 0,
            "thoughts": 0,
            "tool": 0,
        }
        return {
            "total_tokens": tokens["total"],
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "duration_ms": self.duration_ms,
            "tool_calls": self.tools,
            "models": {self.req.model: {"tokens": tokens}},
        }

    def _fatal(self, kind: str, message: str, code: int, exit_code: int) -> int:
        self.emit_err({"error": {"type": kind, "message": message, "code": code}})
        return exit_code

    def start(self) -> None:
        """``init`` with the session and model."""
        self._event("init", session_id=self.session_id, model=self.req.model)

    def say(self, text: str) -> None:
        """An assistant ``message`` delta."""
        super().say(text)
        # Real deltas are slices of one text and carry their own line breaks.
        self._event("message", role="assistant", content=text + "\n", delta=True)

    def tool(self, op: FileOp, abs_path: str) -> None:
        """``tool_use`` then ``tool_result``."""
        super().tool(op, abs_path)
        tool_id = new_id("write_file-", 6)
        params = {"file_path": abs_path, "content": op.content}
        self._event("tool_use", tool_name="write_file", tool_id=tool_id, parameters=params)
        self._event("tool_result", tool_id=tool_id, status="success", output=f"wrote {abs_path}")

    def finish(self, text: str) -> int:
        """``result`` status success, exit 0."""
        self.say(text)
        if self.req.fmt == "stream-json":
            self._event("result", status="success", stats=self._stats())
        else:
            self.emit(
                {"session_id": self.session_id, "response": "\n".join(self.texts)}
                | {"stats": self._stats()}
            )
        return 0

    def fail(self, message: str) -> int:
        """``error`` and ``result`` status error, JSON on stderr, exit 1."""
        self._event("error", severity="error", message=message)
        error = {"type": "Error", "message": message}
        self._event("result", status="error", error=error, stats=self._stats())
        return self._fatal("Error", message, 1, 1)

    def rate_limit(self) -> int:
        """TerminalQuotaError / RESOURCE_EXHAUSTED on stderr, exit 173 (429 & 0xFF)."""
        message = (
            "You have exhausted your capacity on this model. "
            "[429 Too Many Requests] RESOURCE_EXHAUSTED: Quota exceeded for quota metric "
            f"'Generate Content API requests per minute' for model {self.req.model}."
        )
        return self._fatal("TerminalQuotaError", message, 429, 173)

    def auth(self) -> int:
        """FatalAuthenticationError on stderr, exit 41."""
        message = (
            "Please set an Auth method in your settings.json or specify one of the "
            "following environment variables before running: GEMINI_API_KEY, "
            "GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA"
        )
        return self._fatal("FatalAuthenticationError", message, 41, 41)

    def model_not_found(self) -> int:
        """A 404 NOT_FOUND model error on stderr, exit 1."""
        self.start()
        message = (
            f"[404 Not Found] models/{self.req.model} is not found for API version v1beta, "
            "or is not supported for generateContent. NOT_FOUND: ModelNotFoundError"
        )
        return self._fatal("ModelNotFoundError", message, 404, 1)
