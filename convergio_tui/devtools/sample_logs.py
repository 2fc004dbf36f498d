"""Logs of the sample plan's runs: what the simulated CLIs print, as the engine logs it.

The screenshots and the UI tests read them: the output panes show them described (what
a person reads), the task detail's full log shows them raw, as for a real run. Each run
tells one story (read the code, edit it, write a test that fails, fix, pass) through
its provider's simulated CLI (``sim/fmt_*``), so a sample log holds exactly the events
the simulator prints, never a copy of its formats. The simulator runs in-process on a
fixed host: the same ids and times every time, so screenshots only change with the UI.
Around its output are the runner's own lines, the command first and the exit code last.
"""

from __future__ import annotations

import random
import shlex
from pathlib import Path

from convergio_tui.providers import PROVIDERS, get_adapter
from convergio_tui.providers.output_sink import PREFIXES
from convergio_tui.sim.agent import JSON_FORMATS, speaker_for
from convergio_tui.sim.behaviour import Behaviour, FileOp
from convergio_tui.sim.cli_args import Request
from convergio_tui.sim.host import Host
from convergio_tui.sim.speaker import ToolUse

STEP_S = 21.0  # seconds between two steps of a story
HOME = "/home/dev"  # the sample's user (the worktrees are under it too)
# A running run has not reported its tokens yet; its steps share these (opencode prints
# each step's share as it goes).
LIVE_TOKENS = (18_000, 3_000, 0.0)
# Node-based CLIs print warnings on stderr; the panes show them dimmed.
WARNING = "(node:4242) Warning: an experimental feature is in use"
_SESSION_PY = "from app.auth.hashing import hash_payload\n\n\ndef open_session(user):\n    ..."

Step = str | FileOp | ToolUse  # assistant text, a file written or edited, a read or command


class LogHost(Host):
    """A fixed machine that keeps what a simulated CLI prints, line by line, prefixed as
    the runner logs it: seeded ids, a clock the story moves, the worktree as cwd."""

    def __init__(self, seed: str, now: float, cwd: str) -> None:
        self.lines: list[str] = []
        self.now = now
        self._rng = random.Random(seed)
        self._cwd = cwd
        self._partial = {"stdout": "", "stderr": ""}

    def write(self, stream: str, text: str) -> None:
        """Keep each whole line of ``stream`` as a log line."""
        *whole, self._partial[stream] = (self._partial[stream] + text).split("\n")
        self.lines.extend(PREFIXES[stream] + line for line in whole)

    def random_bytes(self, size: int) -> bytes:
        """Seeded bytes: the same ids for the same run every time."""
        return self._rng.randbytes(size)

    def time(self) -> float:
        """The story's clock."""
        return self.now

    def monotonic(self) -> float:
        """The story's clock (durations)."""
        return self.now

    def cwd(self) -> str:
        """The run's worktree."""
        return self._cwd

    def getenv(self, name: str) -> str | None:
        """Only ``HOME`` is set: no ``COPILOT_HOME`` (no session log is written)."""
        return HOME if name == "HOME" else None

    def pid(self) -> int:
        """A fixed pid."""
        return 4242


def story(title: str, slug: str, worktree: str) -> list[Step]:
    """One run's steps: read, edit, a test that fails, the fix, tests and lint pass."""
    test, code = f"tests/test_{slug}.py", f"app/auth/{slug}.py"
    check = f"from app.auth.{slug} import {slug}\n\n\ndef test_rejects_bad_input():\n    ...\n"
    return [
        "Reading the auth package and its tests first.",
        ToolUse("read", f"{worktree}/app/auth/session.py", output=_SESSION_PY),
        f"Plan: {title.lower()} with a focused change and tests.",
        FileOp("append", code, f"\n\ndef {slug}(payload):\n    return hash_payload(payload)\n"),
        FileOp("write", test, check),
        ToolUse("shell", f"pytest -q {test}", ok=False,
                 output=f"FAILED {test}::test_rejects_bad_input - AssertionError: 400 != 422"),
        "The payload is hashed before it is validated; validating first.",
        FileOp("append", code, "    validate(payload)  # before it is hashed\n"),
        ToolUse("shell", f"pytest -q {test}", output="11 passed in 0.91s"),
        ToolUse("shell", "ruff check app tests", output="All checks passed!"),
    ]  # fmt: skip


def sample_log(
    provider: str,
    model: str,
    *,
    title: str,
    slug: str,
    worktree: str,
    started_at: float,
    done: tuple[int, int, float] | None,
) -> list[str]:
    """One run's log lines from ``started_at``; ``done`` (input, output tokens, USD) ends
    a finished run, None leaves it running."""
    provider = provider if provider in PROVIDERS else "opencode"
    adapter = get_adapter(provider)
    call = adapter.build_invocation(adapter.DEFAULT_TEMPLATE, title, model, Path(worktree))
    host = LogHost(f"{provider} {worktree} {started_at}", started_at, worktree)
    stdin = " < prompt on stdin" if call.stdin_text is not None else ""
    host.lines.append(f"{PREFIXES['convergio']}$ {shlex.join(call.argv)}{stdin}")
    steps = story(title, slug, worktree)
    req = Request(provider, "run")
    req.prompt, req.model, req.fmt, req.cwd = title, model, JSON_FORMATS[provider][0], worktree
    beh = Behaviour()
    beh.ops = [step for step in steps if isinstance(step, FileOp)]
    beh.calls = 1 + sum(not isinstance(step, str) for step in steps)  # plan, then each tool
    beh.input_tokens, beh.output_tokens, beh.cost = done or LIVE_TOKENS
    speaker = speaker_for(req, beh, host)
    speaker.start()
    for i, step in enumerate(steps):
        host.now += STEP_S
        if isinstance(step, str):
            speaker.say(step)
        elif isinstance(step, FileOp):
            speaker.tool(step, f"{worktree}/{step.path}")
        else:
            speaker.use(step)
        if i == 5:
            speaker.emit_err(WARNING)
    if done is not None:
        host.now += STEP_S
        speaker.finish("Done: the change is in, with its tests; everything passes.")
        host.lines.append(f"{PREFIXES['convergio']}exit code 0 after {host.now - started_at:.2f}s")
    return host.lines
