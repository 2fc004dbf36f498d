"""GitHub Copilot CLI 1.0.102's ``--output-format json`` lines, simulated.

Test and demo instrument (convergio-sim), checked against the recordings of the real CLI
(``tests/test_sim_shapes_copilot.py``). Events ``{type, data, id, timestamp, parentId}``
(plus ``ephemeral`` on bookkeeping); the answer is in ``assistant.message``
``data.content``; the last line is ``{"type": "result", "exitCode": 0, "usage":
{"premiumRequests", "totalApiDurationMs", "sessionDurationMs", "codeChanges"}}`` — no
tokens and no AI credits, as the real one. Those go to the session's event log: a
``session.shutdown`` event in ``$COPILOT_HOME/session-state/<sessionId>/events.jsonl``
(``totalNanoAiu``: the run's cost at $0.01 a credit), written only under an explicit
``COPILOT_HOME`` so a simulation never touches a real ``~/.copilot``.

Failures: a model call that fails ends with ``session.error`` (``errorType``,
``statusCode``) and a result with exitCode 1, exit 1; no credentials at all is plain text
on stderr, exit 1; an unknown ``--model`` is refused on stderr before the session (the
model catalogue check of GitHub's routing). ``--max-ai-credits`` is honoured as the real
CLI does: checked after each model call; a run it stops ends with a ``session.error`` of
type ``session_limit`` and a failed result.
"""

from __future__ import annotations

import json
import os
import time

from convergio_tui.sim.behaviour import Behaviour, FileOp
from convergio_tui.sim.cli_args import Request
from convergio_tui.sim.host import Host
from convergio_tui.sim.speaker import SIM_USD_PER_CREDIT, Speaker, ToolUse

NANO_AIU_PER_CREDIT = 1_000_000_000


def _stamp(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))


class CopilotSpeaker(Speaker):
    """Copilot's JSON event stream."""

    def __init__(self, req: Request, behaviour: Behaviour, host: Host | None = None) -> None:
        super().__init__(req, behaviour, host)
        self.parent = self.uuid_like()
        self.turn = 0

    def _abspath(self, path: str) -> str:
        """``path`` made absolute against the host's working directory."""
        return os.path.normpath(os.path.join(self.host.cwd(), path))

    def _event(self, kind: str, data: dict[str, object], ephemeral: bool = False) -> None:
        event_id = self.uuid_like()
        event: dict[str, object] = {"type": kind, "data": data}
        if ephemeral:
            event["ephemeral"] = True
        event.update(
            {"id": event_id, "timestamp": _stamp(self.host.time()), "parentId": self.parent}
        )
        self.parent = event_id
        self.emit(event)

    def _message(self, text: str) -> None:
        self._event("assistant.message", {
            "messageId": self.uuid_like(), "originatingMessageId": self.uuid_like(),
            "model": self.req.model, "content": text, "toolRequests": [],
            "interactionId": self.uuid_like(), "turnId": str(self.turn), "rte": False,
            "apiCallId": "chatcmpl-" + self.uuid_like(),
        })  # fmt: skip
        self.turn += 1

    def _error(self, error_type: str, message: str, status: int | None = None) -> None:
        data: dict[str, object] = {"errorType": error_type, "message": message}
        if status is not None:
            data["statusCode"] = status
        data["originatingMessageId"] = self.uuid_like()
        self._event("session.error", data)

    def _result(self, exit_code: int, premium: int, credits: float | None = None) -> None:
        self.emit({
            "type": "result",
            "timestamp": _stamp(self.host.time()),
            "sessionId": self.session_id,
            "exitCode": exit_code,
            "usage": {
                "premiumRequests": premium,
                "totalApiDurationMs": self.duration_ms,
                "sessionDurationMs": self.duration_ms,
                "codeChanges": {
                    "linesAdded": sum(op.content.count("\n") + 1 for op in self.beh.ops),
                    "linesRemoved": 0,
                    "filesModified": [self._abspath(op.path) for op in self.beh.ops],
                },
            },
        })  # fmt: skip
        self._write_session_log(premium, self.credits if credits is None else credits)

    def _write_session_log(self, premium: int, credits: float) -> None:
        """The ``session.shutdown`` the real CLI keeps in its session log, with the
        tokens and AI credits its JSON output leaves out; only under ``COPILOT_HOME``."""
        home = self.host.getenv("COPILOT_HOME")
        if not home:
            return
        usage = {"inputTokens": self.input_tokens, "outputTokens": self.output_tokens,
                 "cacheReadTokens": 0, "cacheWriteTokens": 0}  # fmt: skip
        nano = round(credits * NANO_AIU_PER_CREDIT)
        data = {
            "shutdownType": "routine",
            "totalPremiumRequests": premium,
            "totalNanoAiu": nano,
            "modelMetrics": {self.req.model: {"requests": {"count": self.calls, "cost": premium},
                                              "usage": usage, "totalNanoAiu": nano}},
            "accountingSnapshot": {"aiCreditsStatus": "complete", "totalNanoAiu": nano},
        }  # fmt: skip
        event = {"type": "session.shutdown", "data": data, "id": self.uuid_like(),
                 "timestamp": _stamp(self.host.time()), "parentId": self.parent}  # fmt: skip
        folder = os.path.join(home, "session-state", self.session_id)
        try:
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "events.jsonl"), "a", encoding="utf-8") as log:
                log.write(json.dumps(event, separators=(",", ":")) + "\n")
        except OSError:
            pass  # the real CLI goes on when it cannot save its session either

    def start(self) -> None:
        """``session.tools_updated`` (the model) and the ``user.message``."""
        self._event("session.tools_updated", {"model": self.req.model}, ephemeral=True)
        self._event("user.message", {"content": self.req.prompt, "turnId": "0"})

    def say(self, text: str) -> None:
        """An ``assistant.message``."""
        super().say(text)
        self._message(text)

    def tool(self, op: FileOp, abs_path: str) -> None:
        """``tool.execution_start`` then ``tool.execution_complete``."""
        super().tool(op, abs_path)
        call_id = "call_" + self.uuid_like()[:8]
        name = "create" if op.kind == "write" else "edit"
        turn = str(self.turn)
        self._event("tool.execution_start", {
            "toolCallId": call_id, "toolName": name,
            "arguments": {"path": abs_path, "file_text": op.content},
            "turnId": turn, "model": self.req.model, "toolTitle": "Creating file",
        })  # fmt: skip
        self._event("tool.execution_complete", {
            "toolCallId": call_id, "model": self.req.model, "interactionId": self.uuid_like(),
            "turnId": turn, "rte": False, "success": True,
            "result": {"content": f"Created file {abs_path} with {len(op.content)} characters"},
            "fileEdits": [{"kind": "create", "path": abs_path}], "toolTelemetry": {},
        })  # fmt: skip

    def use(self, use: ToolUse) -> None:
        """``tool.execution_start`` of ``view`` or ``bash``, then ``tool.execution_complete``
        with its ``result``, or ``success: false`` and its ``error``."""
        super().use(use)
        call_id = "call_" + self.uuid_like()[:8]
        turn = str(self.turn)
        if use.kind == "read":
            name, args, title = "view", {"path": use.target}, "Viewing file"
        else:
            name, args, title = "bash", {"command": use.target}, "Running command"
        self._event("tool.execution_start", {
            "toolCallId": call_id, "toolName": name, "arguments": args, "turnId": turn,
            "model": self.req.model, "toolTitle": title,
        })  # fmt: skip
        done: dict[str, object] = {
            "toolCallId": call_id, "model": self.req.model, "interactionId": self.uuid_like(),
            "turnId": turn, "rte": False, "success": use.ok,
        }  # fmt: skip
        if use.ok:
            done["result"] = {"content": use.output}
        else:
            done["error"] = {"message": use.output, "code": "failure"}
        done["toolTelemetry"] = {}
        self._event("tool.execution_complete", done)

    def finish(self, text: str) -> int:
        """A last message and a result with exitCode 0."""
        self._message(text)
        self._result(0, 1)
        return 0

    def fail(self, message: str) -> int:
        """``session.error`` (a failed model call) then a failed result, exit 1."""
        self._error("query", f"Failed to get response from the AI model; {message}", 500)
        self._result(1, 1)
        return 1

    def rate_limit(self) -> int:
        """``session.error`` with status 429 after copilot's own retries, exit 1."""
        self._error(
            "rate_limit",
            "Failed to get response from the AI model; retried 5 times (total retry wait "
            "time: 5.00 seconds) Last error: 429 Too Many Requests: rate limit exceeded",
            429,
        )
        self._result(1, 0, 0.0)
        return 1

    def budget_exceeded(self, calls: int) -> int:
        """``session.error`` (session_limit) after the call that crossed the limit, exit 1."""
        spent = round(self.cost_after(calls) / SIM_USD_PER_CREDIT, 4)
        self._error(
            "session_limit",
            f"AI credit session limit reached: {spent:g} of {self.req.limit:g} AI credits used",
        )
        self._result(1, 1, spent)
        return 1

    def auth(self) -> int:
        """No credentials: copilot's words on stderr before any session, exit 1."""
        self.emit_err("Error: No authentication information found.")
        self.emit_err("")
        self.emit_err(
            "Copilot can be authenticated with GitHub using an OAuth Token or a "
            "Fine-Grained Personal Access Token."
        )
        self.emit_err("")
        self.emit_err("To authenticate, you can use any of the following methods:")
        self.emit_err("  • Start 'copilot' and run the '/login' command")
        self.emit_err(
            "  • Set the COPILOT_GITHUB_TOKEN, GH_TOKEN, or GITHUB_TOKEN environment variable"
        )
        self.emit_err("  • Run 'gh auth login' to authenticate with the GitHub CLI")
        return 1

    def model_not_found(self) -> int:
        """A plain error on stderr, exit 1."""
        self.emit_err(
            f'Error: Model "{self.req.model}" from --model flag is not available. '
            "Valid values: claude-sonnet-4.5, gpt-5, gpt-5-mini"
        )
        return 1
