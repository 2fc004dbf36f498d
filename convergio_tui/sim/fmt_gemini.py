"""Gemini CLI 0.61's ``-o stream-json`` (and ``-o json``), simulated.

Test and demo instrument (convergio-sim), checked against the real CLI's recordings
(``tests/test_sim_shapes_gemini.py``). Stream events: ``init``, the user's ``message``,
assistant ``message`` deltas, ``tool_use``, ``tool_result``, ``error`` and ``result``
with ``stats.models.<m>.{input_tokens, output_tokens, ...}``. ``-o json`` prints one
document pretty-printed over many lines (``response`` is the last turn's text) and a
fatal error as such a document on stderr. An API error exits with its HTTP status
folded into the exit code (429 -> 173); a missing model exits 1 and missing
authentication 41, with a Node stack trace on stderr as the real CLI prints it.
"""

from __future__ import annotations

import json
import time

from convergio_tui.sim.behaviour import Behaviour, FileOp
from convergio_tui.sim.cli_args import Request
from convergio_tui.sim.host import Host
from convergio_tui.sim.speaker import Speaker, ToolUse

_QUOTA = "Resource has been exhausted (e.g. check quota)."
_QUOTA_HINT = (
    "Please wait and try again later. To increase your limits, request a quota increase "
    "through AI Studio, or switch to another /auth method"
)
_NO_AUTH = (
    "Please set an Auth method in your {home}/.gemini/settings.json or specify one of the "
    "following environment variables before running: GEMINI_API_KEY, "
    "GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA"
)


def _stamp(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))


def _report(now: float, kind: str, message: str, extra: list[str]) -> list[str]:
    """The CLI's stderr report of a failed API call at ``now``: where its full report
    went, the error, a stack trace and the inspected error's fields."""
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S-000Z", time.gmtime(now))
    return [
        "Error when talking to Gemini API Full report available at: "
        f"/tmp/gemini-client-error-Turn.run-sendMessageStream-{stamp}.json {kind}: {message}",
        "    at GeminiChat.makeApiCallAndProcessStream (file:///convergio-sim/gemini.js:1:1)",
        "    at async Turn.run (file:///convergio-sim/gemini.js:1:1)",
        *extra,
        "}",
    ]


class GeminiSpeaker(Speaker):
    """stream-json emits events; json emits one pretty-printed document at the end."""

    def __init__(self, req: Request, behaviour: Behaviour, host: Host | None = None) -> None:
        super().__init__(req, behaviour, host)
        self.turn: list[str] = []  # the text since the last tool call: json's "response"

    @property
    def streaming(self) -> bool:
        """True for ``-o stream-json``."""
        return self.req.fmt == "stream-json"

    def _event(self, kind: str, **fields: object) -> None:
        if self.streaming:
            self.emit({"type": kind, "timestamp": _stamp(self.host.time()), **fields})

    def _document(self, doc: dict[str, object], stream: str = "stdout") -> None:
        """One document pretty-printed over many lines, as ``-o json`` prints it."""
        self.host.write(stream, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")

    def _stream_stats(self, used: bool = True) -> dict[str, object]:
        inp, outp = (self.input_tokens, self.output_tokens) if used else (0, 0)
        model = {"total_tokens": inp + outp, "input_tokens": inp, "output_tokens": outp,
                 "cached": 0, "input": inp}  # fmt: skip
        duration = self.duration_ms if used else 0
        return {**model, "duration_ms": duration, "tool_calls": self.tools,
                "models": {self.req.model: model}}  # fmt: skip

    def _json_stats(self) -> dict[str, object]:
        tokens = {"input": self.input_tokens, "prompt": self.input_tokens,
                  "candidates": self.output_tokens,
                  "total": self.input_tokens + self.output_tokens,
                  "cached": 0, "thoughts": 0, "tool": 0}  # fmt: skip
        api = {"totalRequests": 1 + self.tools, "totalErrors": 0,
               "totalLatencyMs": self.duration_ms}  # fmt: skip
        decisions = {"accept": 0, "reject": 0, "modify": 0, "auto_accept": 0}
        by_name = {"write_file": {"count": self.tools, "success": self.tools, "fail": 0,
                                  "durationMs": 0, "decisions": dict(decisions)}}  # fmt: skip
        return {
            "models": {self.req.model: {"api": {**api, "errorsByType": {}}, "tokens": tokens,
                                        "roles": {"main": {**api, "tokens": dict(tokens)}}}},
            "tools": {"totalCalls": self.tools, "totalSuccess": self.tools, "totalFail": 0,
                      "totalDurationMs": 0, "totalDecisions": decisions,
                      "byName": by_name if self.tools else {}},
            "files": {"totalLinesAdded": 0, "totalLinesRemoved": 0},
        }  # fmt: skip

    def _api_error(self, message: str, exit_code: int, code: int, report: list[str]) -> int:
        """A failed API call: the result (stream-json) or the error document (json) after
        stderr's report; ``code`` is what json's document says."""
        self.emit_err("\n".join(report))
        if self.streaming:
            error = {"type": "unknown", "message": message}
            self._event("result", status="error", error=error, stats=self._stream_stats(False))
        else:
            self._document({"session_id": self.session_id,
                            "error": {"type": "Error", "message": message, "code": code}},
                           "stderr")  # fmt: skip
        return exit_code

    def start(self) -> None:
        """``init`` with the session and model, then the user's prompt as a ``message``."""
        self._event("init", session_id=self.session_id, model=self.req.model)
        self._event("message", role="user", content=self.req.prompt)

    def say(self, text: str) -> None:
        """An assistant ``message`` delta (each simulated line ends its own line)."""
        super().say(text)
        self.turn.append(text)
        self._event("message", role="assistant", content=text + "\n", delta=True)

    def tool(self, op: FileOp, abs_path: str) -> None:
        """``tool_use`` then ``tool_result`` (0.61 prints no output in it)."""
        super().tool(op, abs_path)
        tool_id = f"write_file__write_file_{int(self.host.time() * 1000)}_{self.tools - 1}"
        params = {"file_path": abs_path, "content": op.content}
        self._event("tool_use", tool_name="write_file", tool_id=tool_id, parameters=params)
        self._event("tool_result", tool_id=tool_id, status="success")
        self.turn = []

    def use(self, use: ToolUse) -> None:
        """``tool_use`` of ``read_file`` or ``run_shell_command``, then ``tool_result``:
        ``success`` with no output (as 0.61 prints it), or ``error`` with the message."""
        super().use(use)
        if use.kind == "read":
            name, params = "read_file", {"file_path": use.target}
        else:
            name, params = "run_shell_command", {"command": use.target}
        tool_id = f"{name}__{name}_{int(self.host.time() * 1000)}_{self.tools - 1}"
        self._event("tool_use", tool_name=name, tool_id=tool_id, parameters=params)
        if use.ok:
            self._event("tool_result", tool_id=tool_id, status="success")
        else:
            error = {"type": "tool_execution_error", "message": use.output}
            self._event("tool_result", tool_id=tool_id, status="error", error=error)
        self.turn = []

    def finish(self, text: str) -> int:
        """``result`` status success (or json's document), exit 0."""
        self.say(text)
        if self.streaming:
            self._event("result", status="success", stats=self._stream_stats())
        else:
            self._document({"session_id": self.session_id, "response": "\n".join(self.turn),
                            "stats": self._json_stats()})  # fmt: skip
        return 0

    def fail(self, message: str) -> int:
        """An ``error`` event and a failed ``result`` (json: the error document), exit 1."""
        self._event("error", severity="error", message=message)
        if self.streaming:
            error = {"type": "Error", "message": message}
            self._event("result", status="error", error=error, stats=self._stream_stats())
        else:
            self._document({"session_id": self.session_id,
                            "error": {"type": "Error", "message": message, "code": 1}},
                           "stderr")  # fmt: skip
        return 1

    def rate_limit(self) -> int:
        """A 429 after the CLI's last attempt: exit 173 (429 & 0xFF)."""
        report = _report(self.host.time(), "RetryableQuotaError", _QUOTA, [
            "  cause: {", "    code: 429,", f"    message: '{_QUOTA}',", "    details: []",
            "  },", "  retryDelayMs: undefined,", "  status: 429",
        ])  # fmt: skip
        report.insert(0, f"Attempt 1 failed: {_QUOTA}. Max attempts reached")
        message = f"[API Error: {_QUOTA}]\n{_QUOTA_HINT}" if self.streaming else _QUOTA
        return self._api_error(message, 173, 429, report)

    def auth(self) -> int:
        """No authentication set up: one line on stderr (json: its document), exit 41."""
        message = _NO_AUTH.format(home=self.host.getenv("HOME") or "~")
        if self.streaming:
            self.emit_err(message)
        else:
            self._document({"session_id": self.session_id,
                            "error": {"type": "Error", "message": message, "code": 41}},
                           "stderr")  # fmt: skip
        return 41

    def model_not_found(self) -> int:
        """A 404 NOT_FOUND model error: exit 1 (the CLI does not fold this one)."""
        self.start()
        message = (
            f"models/{self.req.model} is not found for API version v1beta, or is not "
            "supported for generateContent. Call ListModels to see the list of available "
            "models and their supported methods."
        )
        report = _report(self.host.time(), "ModelNotFoundError", message, ["  code: 404"])
        shown = f"[API Error: {message}]" if self.streaming else message
        return self._api_error(shown, 1, 1, report)
