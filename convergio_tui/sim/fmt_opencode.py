"""OpenCode 1.18.33's ``run --format json`` lines, simulated.

Test and demo instrument (convergio-sim), checked against the recordings of the real CLI
(``tests/test_sim_shapes_opencode.py``). Lines ``{type, timestamp, sessionID, part}``,
one step per model call: ``step_start``, ``text``, ``tool_use``, then ``step_finish``
(``part.tokens`` and ``part.cost``; ``reason`` ``tool-calls`` or ``stop``). A failed
model call prints only ``{type: "error", error: {name, data}}`` and exits 1: an
``APIError`` with the provider's ``statusCode`` (401, 429...), or, for a model missing
from opencode.json, an ``UnknownError`` whose words say nothing — the model is named
only in opencode's own log, printed on stderr with ``--print-logs``.

The text of a model call is printed when the call ends, so a call that fails prints
nothing of its own: a failure drops the text of the step it ends.
"""

from __future__ import annotations

import time

from convergio_tui.sim.behaviour import Behaviour, FileOp
from convergio_tui.sim.cli_args import Request
from convergio_tui.sim.host import Host
from convergio_tui.sim.speaker import Speaker, ToolUse

_UNEXPECTED = "Unexpected server error. Check server logs for details."


class OpencodeSpeaker(Speaker):
    """OpenCode's JSON lines."""

    def __init__(self, req: Request, behaviour: Behaviour, host: Host | None = None) -> None:
        super().__init__(req, behaviour, host)
        self.session_id = self.new_id("ses_", 12)
        self.message_id = self.new_id("msg_", 12)
        self.pending: list[dict[str, object]] = []  # this step's lines, not yet printed
        self.in_step = False
        self.steps = 0

    def _ms(self) -> int:
        return int(self.host.time() * 1000)

    def _line(self, kind: str, **fields: object) -> dict[str, object]:
        return {"type": kind, "timestamp": self._ms(), "sessionID": self.session_id, **fields}

    def _part(self, kind: str, **fields: object) -> dict[str, object]:
        return {
            "id": self.new_id("prt_", 12),
            "messageID": self.message_id,
            "sessionID": self.session_id,
            "type": kind,
            **fields,
        }

    def _open_step(self) -> None:
        if not self.in_step:
            self.in_step = True
            self.message_id = self.new_id("msg_", 12)
            snapshot = self._part("step-start", snapshot=self.new_id(size=20))
            self.pending.append(self._line("step_start", part=snapshot))

    def _flush(self) -> None:
        for line in self.pending:
            self.emit(line)
        self.pending.clear()

    def _end_step(self, reason: str, last: bool) -> None:
        """``step_finish``: this step's share of the tokens (the rest on the last)."""
        self._open_step()
        self.steps += 1
        calls = max(self.calls, self.steps)
        share_in, share_out = self.input_tokens // calls, self.output_tokens // calls
        used_in, used_out = share_in * (self.steps - 1), share_out * (self.steps - 1)
        step_in = self.input_tokens - used_in if last else share_in
        step_out = self.output_tokens - used_out if last else share_out
        tokens = {"total": step_in + step_out, "input": step_in, "output": step_out,
                  "reasoning": 0, "cache": {"write": 0, "read": 0}}  # fmt: skip
        part = self._part("step-finish", reason=reason, snapshot=self.new_id(size=20),
                          tokens=tokens, cost=0)  # fmt: skip
        self.pending.append(self._line("step_finish", part=part))
        self._flush()
        self.in_step = False

    def _error(self, name: str, message: str, exit_code: int = 1, **data: object) -> int:
        self.pending.clear()  # the failed call printed nothing
        self.in_step = False
        self.emit(self._line("error", error={"name": name, "data": {"message": message, **data}}))
        return exit_code

    def _api_error(self, message: str, status: int, retryable: bool) -> int:
        body = f'{{"error": {{"message": "{message}", "code": {status}}}}}'
        return self._error(
            "APIError",
            message,
            statusCode=status,
            isRetryable=retryable,
            responseHeaders={"content-type": "application/json"},
            responseBody=body,
            metadata={"url": "http://127.0.0.1:11434/v1/chat/completions"},
        )

    def start(self) -> None:
        """The first step opens (printed with its first part)."""
        self._open_step()

    def say(self, text: str) -> None:
        """A whole ``text`` part of the current step."""
        super().say(text)
        self._open_step()
        now = self._ms()
        part = self._part("text", text=text, time={"start": now, "end": now})
        self.pending.append(self._line("text", part=part))
        if len(self.pending) > 2:  # progress lines stream as they come
            self._flush()

    def tool(self, op: FileOp, abs_path: str) -> None:
        """A completed ``tool_use`` part; the step ends and the next one opens."""
        super().tool(op, abs_path)
        self._open_step()
        now = self._ms()
        state = {
            "status": "completed",
            "input": {"filePath": abs_path, "content": op.content},
            "output": "Wrote file successfully.",
            "title": op.path,
            "metadata": {"filepath": abs_path, "exists": False, "truncated": False},
            "time": {"start": now, "end": now},
        }
        part = self._part("tool", callID=self.new_id("call_", 8), tool="write", state=state)
        self.pending.append(self._line("tool_use", part=part))
        self._end_step("tool-calls", last=False)
        self._open_step()

    def use(self, use: ToolUse) -> None:
        """A ``read`` or ``bash`` ``tool_use`` part, ``completed`` with its output or
        ``error`` with the message; the step ends and the next one opens."""
        super().use(use)
        self._open_step()
        now = self._ms()
        if use.kind == "read":
            name, given = "read", {"filePath": use.target}
        else:
            name, given = "bash", {"command": use.target, "description": use.target}
        state: dict[str, object] = {"status": "completed" if use.ok else "error", "input": given}
        if use.ok:
            state.update(output=use.output, title=use.target, metadata={})
        else:
            state["error"] = use.output
        state["time"] = {"start": now, "end": now}
        part = self._part("tool", callID=self.new_id("call_", 8), tool=name, state=state)
        self.pending.append(self._line("tool_use", part=part))
        self._end_step("tool-calls", last=False)
        self._open_step()

    def finish(self, text: str) -> int:
        """The last text and a ``step_finish``; exit 0."""
        self.say(text)
        self._end_step("stop", last=True)
        return 0

    def fail(self, message: str) -> int:
        """A failed model call (the provider answered 500), exit 1."""
        return self._api_error(message, 500, retryable=True)

    def rate_limit(self) -> int:
        """The provider's 429 after opencode's own retries, exit 1."""
        return self._api_error("Rate limit exceeded: 429 Too Many Requests", 429, True)

    def auth(self) -> int:
        """The provider refused the key (401), exit 1."""
        return self._api_error("Incorrect API key provided.", 401, retryable=False)

    def model_not_found(self) -> int:
        """A model missing from opencode.json: UnknownError in the JSON, the model named
        in the log (stderr) with ``--print-logs``; exit 1."""
        ref = "err_" + self.new_id(size=4)
        if "--print-logs" in self.req.flags:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.host.time()))
            self.emit_err(
                f"timestamp={stamp} level=ERROR run={self.new_id(size=4)} message=failed ref={ref} "
                f'error="ProviderModelNotFoundError: Model not found: {self.req.model}." '
                f'cause="ProviderModelNotFoundError: Model not found: {self.req.model}."'
            )
        return self._error("UnknownError", _UNEXPECTED, ref=ref)
