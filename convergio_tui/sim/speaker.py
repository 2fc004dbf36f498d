"""Base class of the per-tool output formats of the simulated CLIs.

Test and demo instrument (convergio-sim). A ``Speaker`` turns the scenario's steps
(start, say, tool, finish, and the failure shapes) into one tool's output, on a
``Host`` (``sim/host.py``: streams, clock, ids). Every line is flushed at once so
consumers see it stream.
"""

from __future__ import annotations

import json

from convergio_tui.sim.behaviour import Behaviour, FileOp
from convergio_tui.sim.cli_args import Request
from convergio_tui.sim.host import Host

SIM_INPUT_USD_PER_MTOK = 3.0
SIM_OUTPUT_USD_PER_MTOK = 15.0
SIM_USD_PER_CREDIT = 0.01  # Copilot's AI credit since June 2026


class ToolUse:
    """A tool use that is not a file write: a file read or a shell command, and how it
    ended (not ``sim.standin``'s ``ToolCall``, which a stand-in model asks a CLI to make).
    A simulated run's own work is its file ops (``tool``); the sample run logs of
    ``convergio_tui.devtools`` tell a longer story, reads and commands included. No
    contract recording holds a read or a command (the cases write files), so each format
    prints them in the shape of its recorded file tool, under the CLI's own tool name."""

    __slots__ = ("kind", "ok", "output", "target")

    def __init__(self, kind: str, target: str, ok: bool = True, output: str = "") -> None:
        if kind not in ("read", "shell"):
            raise ValueError(f"a tool call reads or runs a command, not {kind!r}")
        self.kind = kind
        self.target = target  # an absolute path (read) or a command line (shell)
        self.ok = ok
        self.output = output  # what the tool answered, or its error


class Speaker:
    """Writes one tool's output; subclasses override the hooks they need."""

    def __init__(self, req: Request, behaviour: Behaviour, host: Host | None = None) -> None:
        self.req = req
        self.beh = behaviour
        self.host = host or Host()
        self.started = self.host.monotonic()
        self.texts: list[str] = []
        self.tools = 0
        self.session_id = self.uuid_like()

    # -- helpers ---------------------------------------------------------------

    def new_id(self, prefix: str = "", size: int = 12) -> str:
        """A random hex id (uuid would cost import time the sim cannot afford)."""
        return prefix + self.host.random_bytes(size).hex()

    def uuid_like(self) -> str:
        """A random id formatted like a UUID, as claude prints session ids."""
        h = self.host.random_bytes(16).hex()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"

    def emit(self, obj: dict[str, object]) -> None:
        """Write one JSON object as one stdout line."""
        self.host.write("stdout", json.dumps(obj, separators=(",", ":")) + "\n")

    def emit_err(self, obj: dict[str, object] | str) -> None:
        """Write a JSON object (or plain text) as one stderr line."""
        line = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
        self.host.write("stderr", line + "\n")

    @property
    def input_tokens(self) -> int:
        """Prompt tokens: from ``input_tokens=``, else a deterministic len(prompt) // 4."""
        if self.beh.input_tokens is not None:
            return self.beh.input_tokens
        return len(self.req.prompt) // 4

    @property
    def output_tokens(self) -> int:
        """Output tokens: from ``output_tokens=`` or derived from the work done."""
        if self.beh.output_tokens is not None:
            return self.beh.output_tokens
        written = sum(len(op.content) for op in self.beh.ops)
        return 120 + written // 4 + 8 * self.beh.lines

    @property
    def cost_usd(self) -> float:
        """The sim's USD estimate at fixed prices (or ``cost=``), deterministic."""
        if self.beh.cost is not None:
            return self.beh.cost
        usd = self.input_tokens * SIM_INPUT_USD_PER_MTOK
        usd += self.output_tokens * SIM_OUTPUT_USD_PER_MTOK
        return round(usd / 1_000_000, 6)

    @property
    def calls(self) -> int:
        """Model calls the run makes: ``calls=``, else one to plan and one per file op."""
        return self.beh.calls or 1 + len(self.beh.ops)

    @property
    def credits(self) -> float:
        """The run's cost in AI credits (copilot)."""
        return round(self.cost_usd / SIM_USD_PER_CREDIT, 4)

    def budget_stop(self) -> int | None:
        """The call after which the run's hard limit stops it, as the real CLIs check it:
        after each model call, so the call that crosses the limit is paid in full. None
        when there is no limit or only the last call (the one that ends the run) crosses."""
        if self.req.limit is None:
            return None
        limit = self.req.limit * (SIM_USD_PER_CREDIT if self.req.name == "copilot" else 1.0)
        total, n = self.cost_usd, self.calls
        for i in range(1, n):
            if total * i / n >= limit - 1e-12:
                return i
        return None

    def cost_after(self, calls: int) -> float:
        """USD spent after ``calls`` of the run's calls (each costs the same share)."""
        return round(self.cost_usd * calls / self.calls, 6)

    @property
    def duration_ms(self) -> int:
        """Milliseconds since the run started."""
        return int((self.host.monotonic() - self.started) * 1000)

    # -- hooks -----------------------------------------------------------------

    def start(self) -> None:
        """The first line(s): session start / init."""

    def say(self, text: str) -> None:
        """Assistant text."""
        self.texts.append(text)

    def tool(self, op: FileOp, abs_path: str) -> None:
        """A file tool call (already applied) and its result."""
        self.tools += 1

    def use(self, use: ToolUse) -> None:
        """A read or shell tool call and its result, in the tool's own events."""
        self.tools += 1

    def finish(self, text: str) -> int:
        """The successful end; returns the exit code."""
        raise NotImplementedError

    def fail(self, message: str) -> int:
        """A structured failure."""
        raise NotImplementedError

    def rate_limit(self) -> int:
        """The tool's real rate-limit shape."""
        raise NotImplementedError

    def auth(self) -> int:
        """The tool's real authentication-failure shape."""
        raise NotImplementedError

    def model_not_found(self) -> int:
        """The tool's real unknown-model shape."""
        raise NotImplementedError

    def budget_exceeded(self, calls: int) -> int:
        """The tool's real shape of a run stopped by its hard limit after ``calls``."""
        raise NotImplementedError


class PlainSpeaker(Speaker):
    """Plain-text output, for templates that ask for no JSON format: coarse on purpose."""

    def finish(self, text: str) -> int:
        """Print the answer."""
        self.host.write("stdout", text + "\n")
        return 0

    def fail(self, message: str) -> int:
        """Print the error on stderr, exit 1."""
        self.emit_err(f"Error: {message}")
        return 1

    def rate_limit(self) -> int:
        """429 text on stderr, exit 1."""
        return self.fail("429 Too Many Requests: rate limit exceeded")

    def auth(self) -> int:
        """Authentication text on stderr, exit 1."""
        return self.fail("authentication failed: please log in")

    def model_not_found(self) -> int:
        """Unknown-model text on stderr, exit 1."""
        return self.fail(f"model not found: {self.req.model}")

    def budget_exceeded(self, calls: int) -> int:
        """Spending-limit text on stderr, exit 1."""
        return self.fail(f"spending limit reached after ${self.cost_after(calls):.4f}")
