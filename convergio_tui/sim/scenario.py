"""Drive one simulated run through a Speaker according to its Behaviour.

Test and demo instrument (convergio-sim). The order mirrors a real agent: start, say
what it is doing, edit files, stream progress over the delay, then end the way the mode
asks (success, structured failure, rate limit, crash, hang...).
"""

from __future__ import annotations

import os
import signal
import sys
import time

from convergio_tui.sim.behaviour import Behaviour, FileOp, SimError
from convergio_tui.sim.speaker import Speaker

_WORKING_MODES = frozenset({"ok", "fail", "flood"})
_BIG_LINE = 1_100_000
_CHUNK = 250_000


def apply_op(op: FileOp) -> str:
    """Write or append the op's file under the cwd; returns the absolute path."""
    root = os.path.realpath(os.getcwd())
    target = os.path.realpath(os.path.join(root, op.path))
    if os.path.commonpath([root, target]) != root:
        raise SimError(f"refusing path outside the working directory: {op.path!r}")
    parent = os.path.dirname(target)
    if parent:
        os.makedirs(parent, exist_ok=True)
    mode = "a" if op.kind == "append" else "w"
    with open(target, mode, encoding="utf-8", newline="") as handle:
        handle.write(op.content)
    return target


def _message(speaker: Speaker, kind: str, text: str) -> None:
    """``say``: assistant text in the tool's format; ``print``: raw stdout, as a tool
    (or a program it runs) may print outside its format."""
    if kind == "say":
        speaker.say(text)
        return
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _pace(speaker: Speaker, beh: Behaviour) -> None:
    """Spread ``lines`` (or a few progress lines) over ``delay`` seconds."""
    if beh.lines > 0:
        steps = beh.lines
    elif beh.delay > 0:
        steps = min(8, max(2, int(beh.delay * 2)))
    else:
        return
    pause = beh.delay / steps if beh.delay > 0 else 0.0
    for i in range(1, steps + 1):
        if pause:
            time.sleep(pause)
        if beh.lines > 0:
            speaker.say(f"sim output line {i} of {steps}")
        else:
            speaker.say(f"progress {i}/{steps}: still working")


def _hang(speaker: Speaker, beh: Behaviour) -> int:
    """Start a sleeping child (it shares our pipes), then sleep forever."""
    import subprocess  # only here: the common path must start fast

    if beh.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        child = subprocess.Popen(["sleep", "3600"])
    except OSError:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    speaker.emit_err(f"[convergio-sim] hang: child pid {child.pid}")
    while True:
        time.sleep(3600)


def _garbage() -> int:
    """Non-JSON lines and invalid UTF-8, then exit 0 without any result."""
    sys.stdout.flush()
    out = sys.stdout.buffer
    out.write(b"Loading model weights... done\n")
    out.write(b"\xff\xfe\xfa invalid utf-8 \xc3\x28 here\n")
    out.write(b'{"type": "assistant", "message": {not json at all\n')
    out.write(b"\x00\x01\x02 binary noise\n")
    out.flush()
    return 0


def _flood(speaker: Speaker, megabytes: float) -> None:
    """About ``megabytes`` MB of assistant text, including one line over 1 MB."""
    total = int(megabytes * 1_000_000)
    block = "flood output " * (_BIG_LINE // 13 + 1)
    speaker.say(block[:_BIG_LINE])
    sent = _BIG_LINE
    chunk = block[:_CHUNK]
    while sent < total:
        speaker.say(chunk)
        sent += _CHUNK
    speaker.texts.clear()  # the answer is the summary, not 5 MB of filler


def _crash(speaker: Speaker) -> int:
    """Die by SIGSEGV mid-stream, after partial output (no core file)."""
    speaker.say("Partial output before the crash")
    sys.stdout.flush()
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    signal.signal(signal.SIGSEGV, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGSEGV)
    time.sleep(1)
    os._exit(139)


def perform(speaker: Speaker, beh: Behaviour) -> int:
    """Run the scenario; returns the process exit code (hang never returns)."""
    mode = beh.mode
    if mode in ("auth", "model_not_found"):
        # These fail before any work, like the real tools; no progress lines.
        if beh.delay > 0:
            time.sleep(beh.delay)
        return speaker.auth() if mode == "auth" else speaker.model_not_found()
    speaker.start()
    if mode == "hang":
        return _hang(speaker, beh)
    if mode == "garbage":
        return _garbage()
    if mode == "no_result":
        if beh.delay > 0:
            time.sleep(beh.delay)
        return 0
    speaker.say(f"Working on the task (round {beh.round}).")
    written: list[str] = []
    # A hard spending limit stops the run after the call that crosses it: call 1 plans,
    # call k + 1 asks for file op k, which runs before the next call. The real CLIs stop
    # right after the crossing call, so the op it asked for never runs either.
    stop = speaker.budget_stop() if mode in _WORKING_MODES else None
    if mode in _WORKING_MODES:
        for op in beh.ops if stop is None else beh.ops[: max(0, stop - 2)]:
            speaker.tool(op, apply_op(op))
            written.append(op.path)
        for kind, text in beh.messages:
            _message(speaker, kind, text)
    _pace(speaker, beh)
    if stop is not None:
        return speaker.budget_exceeded(stop)
    if mode == "flood":
        _flood(speaker, beh.flood_mb)
    if mode == "crash":
        return _crash(speaker)
    if mode == "rate_limit":
        return speaker.rate_limit()
    if mode == "fail":
        return speaker.fail(f"simulated failure in round {beh.round}")
    if beh.answer is not None:  # the model's last message: what the real CLIs report
        summary = beh.answer
    elif written:
        summary = f"Done (round {beh.round}): wrote {', '.join(written)}."
    else:
        summary = f"Done (round {beh.round}): nothing to change."
    return speaker.finish(summary)
