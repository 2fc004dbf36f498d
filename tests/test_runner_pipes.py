"""The runner serves a child's pipes from the thread that runs it (providers/pipes.py):
a prompt far larger than a pipe's buffer goes in while the child's output comes out, a
child that never reads its prompt does not hang the run, output still held open by an
escaped process is read for a while and then let go, lines are cut as ``readline`` cuts
them, and listeners hear every line on the calling thread. Real processes throughout."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from convergio_tui.providers.pipes import cut_lines
from convergio_tui.providers.runner import ProcessOutcome, run_process

ECHO_SIZES = (
    "import sys\n"
    "total = 0\n"
    "while chunk := sys.stdin.buffer.read1(65536):\n"
    "    total += len(chunk)\n"
    "    print('got', len(chunk), flush=True)\n"
    "    print('err', len(chunk), file=sys.stderr, flush=True)\n"
    "print('total', total, flush=True)\n"
)


def run_python(code: str, where: Path, *, timeout_s: float = 60, log_path: Path | None = None,
               **kwargs: Any) -> ProcessOutcome:  # fmt: skip
    """``run_process`` of a small Python program in ``where``, with this environment."""
    argv = [sys.executable, "-c", code]
    return run_process(argv, cwd=where, env=dict(os.environ), timeout_s=timeout_s,
                       log_path=log_path, **kwargs)  # fmt: skip


def test_a_prompt_larger_than_the_pipe_goes_in_while_output_comes_out(tmp_path: Path) -> None:
    prompt = "x" * 3_000_000 + "\n"  # ~46 times a Linux pipe's buffer
    heard: list[tuple[str, int]] = []
    caller = threading.get_ident()
    outcome = run_python(
        ECHO_SIZES, tmp_path, log_path=tmp_path / "run.log", stdin_text=prompt,
        listeners=[lambda stream, line: heard.append((stream, threading.get_ident()))],
    )  # fmt: skip
    assert outcome.exit_code == 0 and not outcome.timed_out
    assert outcome.stdout_lines[-1] == f"total {len(prompt)}"
    got = sum(int(line.split()[1]) for line in outcome.stdout_lines if line.startswith("got"))
    assert got == len(prompt)
    assert {stream for stream, _ in heard} >= {"stdout", "stderr", "convergio"}
    assert {ident for _, ident in heard} == {caller}  # no reader thread of its own
    assert "[out] total 3000001" in (tmp_path / "run.log").read_text()


def test_a_child_that_never_reads_its_prompt_does_not_hang_the_run(tmp_path: Path) -> None:
    outcome = run_python(
        "print('not reading'); raise SystemExit(4)", tmp_path, stdin_text="p" * 2_000_000
    )
    assert outcome.exit_code == 4 and not outcome.timed_out
    assert outcome.stdout_lines == ("not reading",)


def test_output_held_open_by_an_escaped_process_is_let_go(tmp_path: Path) -> None:
    # The grandchild leaves the child's session (and so its process group) and keeps
    # stdout open: the run ends, keeps what was written, and says why it stopped reading.
    code = (
        "import os, subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-c', "
        "'import time; print(\"from the escapee\", flush=True); time.sleep(60)'], "
        "start_new_session=True)\n"
        "print('escapee', p.pid, flush=True)\n"
    )
    outcome = run_python(code, tmp_path, log_path=tmp_path / "run.log")
    escapee = int(outcome.stdout_lines[0].split()[1])
    try:
        assert outcome.exit_code == 0 and not outcome.timed_out
        assert "from the escapee" in outcome.stdout_lines
        log = (tmp_path / "run.log").read_text()
        assert "an escaped process still holds the output pipes; stopped reading" in log
    finally:
        os.kill(escapee, signal.SIGKILL)


def test_what_a_child_writes_when_told_to_stop_is_kept(tmp_path: Path) -> None:
    # Its answer to SIGTERM is more than a pipe holds: read while the tree is killed, it
    # gets out, and the child exits on its own instead of blocking until SIGKILL.
    code = (
        "import os, signal, sys, time\n"
        "def bye(*_):\n"
        "    sys.stdout.write('F' * 100_000 + '\\nfinal summary\\n'); sys.stdout.flush()\n"
        "    os._exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        "print('working', flush=True)\n"
        "time.sleep(60)\n"
    )
    outcome = run_python(code, tmp_path, timeout_s=1, kill_grace_s=30)
    assert outcome.timed_out and outcome.exit_code == 0
    assert outcome.stdout_lines[-1] == "final summary"
    assert outcome.output_bytes > 100_000


def test_a_long_line_trickled_in_small_writes_costs_the_runner_little(tmp_path: Path) -> None:
    # 14 MB of one line, then 20,000 writes of 100 bytes: looking for a newline in all
    # that is pending on every read would cost seconds of the runner's CPU (checked
    # against the thread's CPU time, not the wall clock: a busy machine moves the latter).
    code = (
        "import os, time\n"
        "os.write(1, b'L' * 14_000_000)\n"
        "for _ in range(20_000):\n"
        "    os.write(1, b'x' * 100); time.sleep(0.0001)\n"
        "os.write(1, b'\\nend\\n')\n"
    )
    cpu = time.thread_time()
    outcome = run_python(code, tmp_path, timeout_s=120)
    cpu = time.thread_time() - cpu
    assert outcome.exit_code == 0 and outcome.stdout_lines[-1] == "end"
    assert outcome.output_bytes == 14_000_000 + 2_000_000 + 5
    assert cpu < 1.0, f"the runner's thread used {cpu:.2f} s of CPU"


def test_a_last_line_without_newline_and_blank_lines_are_kept(tmp_path: Path) -> None:
    outcome = run_python("import sys; sys.stdout.write('a\\n\\nb\\r\\nlast')", tmp_path)
    assert outcome.stdout_lines == ("a", "", "b", "last")


@given(
    chunks=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"")), max_size=12),
    limit=st.integers(min_value=1, max_value=16),
)
def test_lines_are_cut_as_readline_with_a_limit_cuts_them(chunks: list[bytes], limit: int) -> None:
    """Fed in any chunks, the pieces are what ``readline(limit)`` returns in turn."""
    data = b"".join(chunks)
    buf = bytearray()
    pieces: list[bytes] = []
    for chunk in chunks:
        buf += chunk
        pieces += cut_lines(buf, final=False, limit=limit)
    pieces += cut_lines(buf, final=True, limit=limit)
    expected = []
    reader = io.BytesIO(data)
    while line := reader.readline(limit):
        expected.append(line)
    assert pieces == expected and not buf
