"""OpenCode's ``run --format json`` lines, simulated.

Test and demo instrument (convergio-sim). Lines ``{type, timestamp, sessionID, part}``:
``step_start``, ``text``, ``tool_use``, ``step_finish`` (``part.tokens`` and
``part.cost``) and ``error``. The trap: an unknown model (and a rate limit) exits 0
with only an ``error`` event to tell.
"""

from __future__ import annotations

import time

from convergio_tui.sim.behaviour import Behaviour, FileOp
from convergio_tui.sim.cli_args import Request
from convergio_tui.sim.speaker import Speaker, new_id


def _ms() -> int:
    return int(time.time() * 1000)


class OpencodeSpeaker(Speaker):
    """OpenCode's JSON lines."""

    def __init__(self, req: Request, behaviour: Behaviour) -> None:
        super().__init__(req, behaviour)
        self.session_id = new_id("ses_", 12)
        self.message_id = new_id("msg_", 12)

    def _line(self, kind: str, **fields: object) -> None:
        self.emit({"type": kind, "timestamp": _ms(), "sessionID": self.session_id, **fields})

    def _part(self, kind: str, **fields: object) -> dict[str, object]:
        return {
            "id": new_id("prt_", 12),
            "sessionID": self.session_id,
            "messageID": self.message_id,
            "type": kind,
            **fields,
        }

    def _error(self, name: str, message: str, **data: object) -> None:
        self._line("error", error={"name": name, "data": {"message": message, **data}})

    def start(self) -> None:
        """``step_start``."""
        self._line("step_start", part=self._part("step-start", snapshot=new_id(size=20)))

    def say(self, text: str) -> None:
        """A whole ``text`` part."""
        super().say(text)
        now = _ms()
        self._line("text", part=self._part("text", text=text, time={"start": now, "end": now}))

    def tool(self, op: FileOp, abs_path: str) -> None:
        """A completed ``tool_use`` part."""
        super().tool(op, abs_path)
        now = _ms()
        state = {
            "status": "completed",
            "input": {"filePath": abs_path, "content": op.content},
            "output": f"wrote {abs_path}",
            "title": op.path,
            "metadata": {},
            "time": {"start": now, "end": now},
        }
        part = self._part("tool", callID=new_id("call_", 8), tool="write", state=state)
        self._line("tool_use", part=part)

    def finish(self, text: str) -> int:
        """The last text and a ``step_finish`` with tokens; exit 0."""
        self.say(text)
        tokens = {
            "input": self.input_tokens,
            "output": self.output_tokens,
            "reasoning": 0,
            "cache": {"read": 0, "write": 0},
        }
        part = self._part("step-finish", reason="stop", cost=0, tokens=tokens)
        self._line("step_finish", part=part)
        return 0

    def fail(self, message: str) -> int:
        """An ``error`` event, exit 1."""
        self._error("UnknownError", message)
        return 1

    def rate_limit(self) -> int:
        """An APIError event with rate-limit text, exit 0."""
        self._error(
            "APIError",
            "Rate limit exceeded: 429 Too Many Requests",
            statusCode=429,
            isRetryable=True,
        )
        return 0

    def auth(self) -> int:
        """A ProviderAuthError event, exit 1."""
        provider = self.req.model.split("/", 1)[0]
        self._error("ProviderAuthError", f"authentication failed for {provider}")
        return 1

    def model_not_found(self) -> int:
        """The trap: ProviderModelNotFoundError event, exit 0."""
        provider, _, model = self.req.model.partition("/")
        self._error(
            "ProviderModelNotFoundError",
            f"Model not found: {self.req.model}",
            providerID=provider,
            modelID=model,
        )
        return 0
