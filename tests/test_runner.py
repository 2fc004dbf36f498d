"""The shared subprocess runner, with real processes: the simulator and small Pythons."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from convergio_tui.providers import claude
from convergio_tui.providers.runner import ProcessOutcome, run_process
from convergio_tui.sim.install import install_sim_bin, sim_path_env

COPILOT = ["copilot", "--output-format", "json", "--allow-all-tools", "-p"]
CHILD_PID = re.compile(r"hang: child pid (\d+)")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment with the simulated CLIs first on PATH."""
    return sim_path_env(install_sim_bin(tmp_path_factory.mktemp("simbin")))


def _dead(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        # A killed process adopted by init stays a zombie until init reaps it (this
        # sandbox's init does so lazily): dead, and not ours to reap.
        return proc.status() == psutil.STATUS_ZOMBIE and proc.ppid() != os.getpid()
    except psutil.NoSuchProcess:
        return True


def gone(pid: int, within_s: float = 0.5) -> bool:
    """True when the pid is dead and no zombie child of this test process remains."""
    deadline = time.monotonic() + within_s
    while not _dead(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    zombies = [c for c in psutil.Process().children() if c.status() == psutil.STATUS_ZOMBIE]
    return _dead(pid) and not zombies


def child_pid(outcome: ProcessOutcome) -> int:
    """The pid of the sleeping child the simulated hang started."""
    for line in outcome.stderr_lines:
        match = CHILD_PID.search(line)
        if match:
            return int(match.group(1))
    raise AssertionError(f"no child pid in {outcome.stderr_lines}")


def python(code: str) -> list[str]:
    """argv running a small Python program."""
    return [sys.executable, "-c", code]


def run_hang(
    env: dict[str, str], cwd: Path, timeout_s: float, options: str = "", **kwargs: Any
) -> ProcessOutcome:
    """Run the simulated copilot hang (it starts a sleeping child) under ``timeout_s``."""
    prompt = f"SIM: mode=hang {options}".strip()
    return run_process([*COPILOT, prompt], cwd=cwd, env=env, timeout_s=timeout_s, **kwargs)


def run_flood(env: dict[str, str], log: Path, flood_mb: float, **kwargs: Any) -> ProcessOutcome:
    """Run the simulated claude flooding ``flood_mb`` MB of stream-json, logged to ``log``."""
    argv = ["claude", "-p", "--output-format", "stream-json", "--verbose"]
    prompt = f"SIM: mode=flood flood_mb={flood_mb:g}"
    return run_process(
        argv, cwd=log.parent, env=env, timeout_s=60, log_path=log, stdin_text=prompt, **kwargs
    )


def test_a_hang_is_killed_at_its_timeout_with_its_whole_tree(
    env: dict[str, str], tmp_path: Path
) -> None:
    started: list[int] = []
    outcome = run_hang(env, tmp_path, 1.0, log_path=tmp_path / "run.log", on_start=started.append)
    assert outcome.timed_out and not outcome.cancelled
    assert 1.0 <= outcome.duration_s < 6.0
    assert started == [outcome.pid]
    assert gone(child_pid(outcome)), "the hang's child survived"
    assert gone(outcome.pid)
    assert "timed out after 1s" in (tmp_path / "run.log").read_text()
    assert claude.parse(outcome).error_class.value == "timeout"


def test_a_child_ignoring_sigterm_is_killed_after_the_grace(
    env: dict[str, str], tmp_path: Path
) -> None:
    outcome = run_hang(env, tmp_path, 0.8, "ignore_term=1", log_path=None, kill_grace_s=0.5)
    assert outcome.timed_out
    assert outcome.exit_code == -9  # SIGTERM was ignored; SIGKILL ended it
    assert gone(outcome.pid) and gone(child_pid(outcome))


def test_cancel_kills_the_tree(env: dict[str, str], tmp_path: Path) -> None:
    cancel = threading.Event()

    def on_line(stream: str, line: str) -> None:
        if stream == "stderr" and "hang: child pid" in line:
            cancel.set()

    outcome = run_hang(env, tmp_path, 30, log_path=None, listeners=[on_line], cancel=cancel)
    assert outcome.cancelled and not outcome.timed_out
    assert outcome.duration_s < 10
    assert gone(outcome.pid) and gone(child_pid(outcome))


def test_orphans_left_after_a_normal_exit_are_killed(tmp_path: Path) -> None:
    code = (
        "import subprocess\n"
        "p = subprocess.Popen(['sleep', '60'])\n"
        "print('orphan', p.pid, flush=True)\n"
    )
    outcome = run_process(
        python(code), cwd=tmp_path, env=dict(os.environ), timeout_s=20, log_path=None
    )
    assert outcome.exit_code == 0 and not outcome.timed_out
    orphan = int(outcome.stdout_lines[0].split()[1])
    assert gone(orphan)


def test_a_flood_with_a_megabyte_line_completes(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "flood.log"
    outcome = run_flood(env, log, 5.5)
    assert outcome.exit_code == 0 and not outcome.truncated
    assert outcome.output_bytes > 5_500_000
    longest = max(len(line) for line in log.read_bytes().splitlines())
    assert longest > 1_000_000
    assert claude.parse(outcome).success


def test_output_past_the_cap_is_not_logged_but_still_parsed(
    env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "capped.log"
    seen: list[tuple[str, str]] = []
    outcome = run_flood(
        env,
        log,
        5,
        listeners=[lambda s, line: seen.append((s, line[:100]))],
        max_output_bytes=200_000,
    )
    assert outcome.truncated and outcome.exit_code == 0
    data = log.read_bytes()
    assert len(data) < 300_000
    assert data.count(b"[convergio] output truncated after") == 1
    assert [s for s, line in seen if "truncated" in line] == ["convergio"]
    result = claude.parse(outcome)  # the result line came after the cap
    assert result.success and result.cost_usd is not None


def test_invalid_utf8_survives(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "garbage.log"
    seen: list[str] = []
    outcome = run_process(
        ["gemini", "--skip-trust", "-p", "SIM: mode=garbage", "-o", "stream-json"],
        cwd=tmp_path,
        env=env,
        timeout_s=20,
        log_path=log,
        listeners=[lambda s, line: seen.append(line)],
    )
    assert outcome.exit_code == 0
    assert any("\ufffd" in line and "invalid utf-8" in line for line in outcome.stdout_lines)
    assert any("\ufffd" in line for line in seen)
    log.read_bytes().decode("utf-8")  # the log itself is valid UTF-8


def test_secrets_never_reach_the_log_or_listeners(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "print('token=hunter2-longer-secret and hunter2 and abc')\n"
        "print('err hunter2-longer-secret', file=sys.stderr)\n"
        "print('pem line two-of-key')\n"
    )
    log = tmp_path / "secret.log"
    seen: list[str] = []
    secrets = ["hunter2", "hunter2-longer-secret", "abc", "-----BEGIN-----\nline two-of-key"]
    outcome = run_process(
        [*python(code), "hunter2"],  # the argv in the log header is redacted too
        cwd=tmp_path,
        env=dict(os.environ),
        timeout_s=20,
        log_path=log,
        listeners=[lambda s, line: seen.append(line)],
        secrets=secrets,
    )
    data = log.read_bytes()
    for secret in (b"hunter2", b"two-of-key"):
        assert secret not in data
        assert not any(secret.decode() in line for line in seen)
        assert not any(secret.decode() in line for line in outcome.stdout_lines)
    assert b"token=***REDACTED*** and ***REDACTED*** and abc" in data  # short values kept
    assert b"[err] err ***REDACTED***" in data
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_stdout_and_stderr_are_both_captured_and_claudecode_removed(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "print('stdin:', repr(sys.stdin.read()))\n"
        "print('CLAUDECODE', os.environ.get('CLAUDECODE'))\n"
        "print('to stderr', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    log = tmp_path / "both.log"
    outcome = run_process(
        python(code),
        cwd=tmp_path,
        env={**os.environ, "CLAUDECODE": "1"},
        timeout_s=20,
        log_path=log,
    )
    assert outcome.exit_code == 3
    assert outcome.stdout_lines == ("stdin: ''", "CLAUDECODE None")  # stdin closed, not a pipe
    assert outcome.stderr_lines == ("to stderr",)
    text = log.read_text()
    assert "[out] CLAUDECODE None" in text and "[err] to stderr" in text
    assert "[convergio] exit code 3" in text


def test_stdin_text_is_written_then_closed(tmp_path: Path) -> None:
    outcome = run_process(
        python("import sys; print(sys.stdin.read().upper())"),
        cwd=tmp_path,
        env=dict(os.environ),
        timeout_s=20,
        log_path=None,
        stdin_text="a prompt\nover two lines",
    )
    assert outcome.stdout_lines == ("A PROMPT", "OVER TWO LINES")


def test_a_missing_executable_is_reported_not_raised(tmp_path: Path) -> None:
    outcome = run_process(
        ["convergio-no-such-cli"],
        cwd=tmp_path,
        env=dict(os.environ),
        timeout_s=5,
        log_path=tmp_path / "missing.log",
    )
    assert outcome.exit_code is None and outcome.pid is None
    assert outcome.spawn_error and "convergio-no-such-cli" in (tmp_path / "missing.log").read_text()
    assert claude.parse(outcome).error_class.value == "failed"


def test_a_nul_byte_in_the_prompt_argv_is_reported_not_raised(tmp_path: Path) -> None:
    # An agent's garbage output can carry NUL bytes into the next round's prompt.
    outcome = run_process(
        [sys.executable, "-c", "pass", "prompt with \x00 inside"],
        cwd=tmp_path,
        env=dict(os.environ),
        timeout_s=5,
        log_path=tmp_path / "nul.log",
    )
    assert outcome.exit_code is None and outcome.spawn_error
    assert claude.parse(outcome).success is False


def test_the_child_s_pwd_names_its_own_folder_not_convergio_s(tmp_path: Path) -> None:
    # A CLI that works in $PWD (opencode) must see the task's folder even when the
    # engine's environment says it was started somewhere else.
    task_dir = tmp_path / "task"
    task_dir.mkdir()
    env = {**os.environ, "PWD": str(tmp_path / "users-checkout")}
    probe = [sys.executable, "-c", "import os; print(os.environ['PWD'])"]
    out = run_process(probe, cwd=task_dir, env=env, timeout_s=30, log_path=None)
    assert out.stdout_lines[-1] == str(task_dir.resolve())
