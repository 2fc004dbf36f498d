"""A simulated CLI's speaker on a given host, and its read and command tool calls.

The sample run logs (``convergio_tui.devtools``) record what the simulators print by
handing a speaker a fixed host instead of the real machine: what it prints must then
be the same bytes every time and go nowhere else. Their stories also read files and run
commands, which each format prints as its CLI's own tool call, read back by the real
provider adapters as a person would read it.
"""

from __future__ import annotations

import json
import random

import pytest

from convergio_tui.providers import PROVIDERS, describer
from convergio_tui.sim.agent import JSON_FORMATS, speaker_for
from convergio_tui.sim.behaviour import Behaviour, FileOp, resolve
from convergio_tui.sim.cli_args import Request
from convergio_tui.sim.host import Host
from convergio_tui.sim.speaker import ToolUse

WORKTREE = "/home/dev/.convergio/worktrees/1/T1-01"
# What the dashboard shows of a read that worked and a command that failed, by provider.
READ_NAME = {"claude": "Read", "copilot": "view", "gemini": "read_file", "opencode": "read"}
SHELL_NAME = {"claude": "Bash", "copilot": "bash", "gemini": "run_shell_command",
              "opencode": "bash"}  # fmt: skip


class FixedHost(Host):
    """A machine that never changes: seeded ids, a fixed clock and cwd; output kept."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.written: list[tuple[str, str]] = []

    def write(self, stream: str, text: str) -> None:
        self.written.append((stream, text))

    def random_bytes(self, size: int) -> bytes:
        return self.rng.randbytes(size)

    def time(self) -> float:
        return 1_779_289_200.0

    def monotonic(self) -> float:
        return 100.0

    def cwd(self) -> str:
        return WORKTREE

    def getenv(self, name: str) -> str | None:
        return "/home/dev" if name == "HOME" else None

    def pid(self) -> int:
        return 4242


def tell(provider: str, host: Host) -> int:
    """A short run: start, a read, an edit, a failing command, a passing one, the end."""
    req = Request(provider, "run")
    req.prompt, req.fmt, req.cwd = "Fix the login.", JSON_FORMATS[provider][0], WORKTREE
    beh = Behaviour()
    beh.input_tokens, beh.output_tokens, beh.cost = 18_900, 3_180, 0.42
    speaker = speaker_for(req, beh, host)
    speaker.start()
    speaker.say("Reading the login first.")
    speaker.use(ToolUse("read", f"{WORKTREE}/app/login.py", output="def login(): ..."))
    speaker.tool(FileOp("append", "app/login.py", "    validate(payload)\n"),
                 f"{WORKTREE}/app/login.py")  # fmt: skip
    speaker.use(ToolUse("shell", "pytest -q", ok=False, output="FAILED test_login - 400 != 422"))
    speaker.use(ToolUse("shell", "pytest -q", output="3 passed in 0.20s"))
    return speaker.finish("Done.")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_fixed_host_gets_the_same_bytes_every_time_and_stdout_none(
    provider: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second, other = FixedHost(7), FixedHost(7), FixedHost(8)
    assert tell(provider, first) == 0
    tell(provider, second)
    tell(provider, other)
    assert first.written == second.written
    assert first.written != other.written  # the ids come from the host, not the OS
    assert capsys.readouterr() == ("", "")
    assert all(stream == "stdout" and text.endswith("\n") for stream, text in first.written)
    events = [json.loads(text) for _, text in first.written]
    assert all(isinstance(event, dict) and "type" in event for event in events)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_reads_and_commands_read_as_the_clis_own_tool_calls(provider: str) -> None:
    host = FixedHost(1)
    tell(provider, host)
    describe = describer(provider)
    shown = [line for _, text in host.written if (line := describe(text.rstrip("\n")))]
    lines = "\n".join(shown).splitlines()
    read = lines.index(f"⚙ {READ_NAME[provider]} app/login.py")
    assert lines[read + 1] == "↳ ok"
    command = lines.index(f"⚙ {SHELL_NAME[provider]}: pytest -q")
    assert lines[command + 1] == "↳ error: FAILED test_login - 400 != 422"
    assert lines[command + 2 :].count("↳ ok") >= 1  # the second run passed
    assert lines[-1].startswith("✔ done")


def test_a_tool_call_is_a_read_or_a_command() -> None:
    with pytest.raises(ValueError, match="not 'write'"):
        ToolUse("write", "app/login.py")


def test_input_tokens_can_be_set_like_output_tokens() -> None:
    host = FixedHost(3)
    req = Request("claude", "run")
    req.prompt, req.fmt = "Hi.\nSIM: input_tokens=18900", "stream-json"
    speaker_for(req, resolve(req.prompt, "claude", {}), host).finish("Done.")
    result = json.loads(host.written[-1][1])
    assert result["usage"]["input_tokens"] == 18_900
