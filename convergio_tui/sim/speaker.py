"""Base class of the per-tool output formats of the simulated CLIs.

Test and demo instrument (convergio-sim). A ``Speaker`` turns the scenario's steps
(start, say, tool, finish, and the failure shapes) into one tool's output. Every line
is flushed at once so consumers see it stream.
"""

from __future__ import annotations

import json
import os
import sys
import time

from convergio_tui.sim.behaviour import Behaviour, FileOp
from convergio_tui.sim.cli_args import Request

SIM_INPUT_USD_PER_MTOK = 3.0
SIM_OUTPUT_USD_PER_MTOK = 15.0
SIM_USD_PER_CREDIT = 0.01  # Copilot's AI credit since June 2026


def new_id(prefix: str = "", size: int = 12) -> str:
    """A random hex id (uuid would cost import time the sim cannot afford)."""
    return prefix + os.urandom(size).hex()


def uuid_like() -> str:
    """A random id formatted like a UUID, as claude prints session ids."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


class Speaker:
    """Writes one tool's output; subclasses override the hooks they need."""

    def __init__(self, req: Request, behaviour: Behaviour) -> None:
        self.req = req
        self.beh = behaviour
        self.started = time.monotonic()
        self.texts: list[str] = []
        self.tools = 0
        self.session_id = uuid_like()

    # -- helpers ---------------------------------------------------------------

    def emit(self, obj: dict[str, object]) -> None:
        """Write one JSON object as one stdout line."""
        sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def emit_err(self, obj: dict[str, object] | str) -> None:
        """Write a JSON object (or plain text) as one stderr line."""
        line = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    @property
    def input_tokens(self) -> int:
        """Prompt tokens: a deterministic len(prompt) // 4."""
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
        return int((time.monotonic() - self.started) * 1000)

    # -- hooks -----------------------------------------------------------------

    def start(self) -> None:
        """The first line(s): session start / init."""

    def say(self, text: str) -> None:
        """Assistant text."""
        self.texts.append(text)

    def tool(self, op: FileOp, abs_path: str) -> None:
        """A file tool call (already applied) and its result."""
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
        sys.stdout.write(text + "\n")
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
