"""`convergio vault` as a user runs it: real subprocesses, a real home directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convergio_tui.tools.vault import generate_key


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CONVERGIO_HOME": str(tmp_path / "home"),
        "CONVERGIO_VAULT_KEY": generate_key(),
    }


def convergio(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convergio_tui", "vault", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    assert convergio(env, "init", "web").returncode == 0
    assert convergio(env, "set", "web", "TOKEN", stdin="abc123").returncode == 0
    assert convergio(env, "set", "web", "MULTI", "-", stdin="it's a $value\n").returncode == 0
    got = convergio(env, "get", "web", "MULTI")
    assert (got.returncode, got.stdout) == (0, "it's a $value\n")
    listed = convergio(env, "list", "web", "--json")
    assert json.loads(listed.stdout) == {"project": "web", "keys": ["MULTI", "TOKEN"]}
    # export output evaluated by a real shell gives back the exact values
    exported = convergio(env, "export", "web").stdout
    shell = subprocess.run(
        ["sh", "-c", exported + '\nprintf "%s|%s" "$MULTI" "$TOKEN"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout == "it's a $value|abc123"
    assert convergio(env, "rm", "web", "TOKEN").returncode == 0
    assert convergio(env, "list", "web").stdout == "MULTI\n"
    mode = (tmp_path / "home" / "vault" / "web.vault").stat().st_mode & 0o777
    assert mode == 0o600


def test_missing_key_exits_1(env: dict[str, str]) -> None:
    convergio(env, "init", "web")
    got = convergio(env, "get", "web", "NOPE")
    assert got.returncode == 1
    assert "NOPE" in got.stderr and got.stdout == ""
    assert convergio(env, "rm", "web", "NOPE").returncode == 1


def test_wrong_key_exits_2_with_message(env: dict[str, str]) -> None:
    convergio(env, "set", "web", "A", stdin="1")
    other = {**env, "CONVERGIO_VAULT_KEY": generate_key()}
    got = convergio(other, "get", "web", "A")
    assert got.returncode == 2
    assert "wrong vault key" in got.stderr
    assert got.stdout == ""


def test_no_key_and_bad_names_exit_2(env: dict[str, str]) -> None:
    no_key = {k: v for k, v in env.items() if k != "CONVERGIO_VAULT_KEY"}
    got = convergio(no_key, "set", "web", "A", stdin="1")
    assert got.returncode == 2 and "CONVERGIO_VAULT_KEY" in got.stderr
    bad = convergio(env, "set", "web", "NOT-VALID", stdin="1")
    assert bad.returncode == 2 and "invalid key name" in bad.stderr


def test_keygen_prints_a_usable_key(env: dict[str, str]) -> None:
    key = convergio(env, "keygen").stdout.strip()
    with_key = {**env, "CONVERGIO_VAULT_KEY": key}
    assert convergio(with_key, "set", "p", "A", stdin="1").returncode == 0
    assert convergio(with_key, "get", "p", "A").stdout == "1\n"


def test_azure_sync_without_extra_says_how_to_install(env: dict[str, str]) -> None:
    try:
        import azure.keyvault.secrets  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("the [azure] extra is installed here")
    convergio(env, "set", "web", "A", stdin="1")
    got = convergio(env, "sync", "web", "--vault-name", "my-kv")
    assert got.returncode == 2
    assert "pip install 'convergio-tui[azure]'" in got.stderr


def test_a_secret_on_the_command_line_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    got = convergio(env, "set", "web", "TOKEN", "hunter2-on-argv")
    assert got.returncode == 2
    assert "refusing a secret on the command line" in got.stderr
    assert "stdin" in got.stderr and "prompt" in got.stderr
    assert "hunter2-on-argv" not in got.stderr + got.stdout  # not echoed back either
    assert not (tmp_path / "home" / "vault" / "web.vault").exists()  # nothing written
    empty = convergio(env, "set", "web", "TOKEN", stdin="")
    assert empty.returncode == 2 and "no value for TOKEN on stdin" in empty.stderr


def test_value_from_stdin_never_reaches_argv(env: dict[str, str]) -> None:
    secret = "stdin-secret-Q7Z"
    proc = subprocess.Popen(
        [sys.executable, "-m", "convergio_tui", "vault", "set", "web", "TOKEN"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    # The process is alive and waiting for its value: its argv is what `ps` shows (empty
    # for a moment while exec sets it up).
    cmdline = Path(f"/proc/{proc.pid}/cmdline")
    while not cmdline.read_bytes():
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    argv = cmdline.read_bytes().split(b"\0")
    _out, err = proc.communicate(secret + "\n", timeout=60)
    assert proc.returncode == 0, err
    assert argv[-3:] == [b"web", b"TOKEN", b""] and secret.encode() not in b" ".join(argv)
    assert convergio(env, "get", "web", "TOKEN").stdout == secret + "\n"


def _read_until(fd: int, marker: bytes, seen: bytearray) -> None:
    """Read the pty until ``marker`` shows up (a guard against a hang, not a timing test)."""
    import select

    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, f"no {marker!r} in {bytes(seen)!r}"
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        assert chunk, f"no {marker!r} in {bytes(seen)!r}"
        seen += chunk


def test_value_typed_at_a_terminal_is_not_echoed(env: dict[str, str]) -> None:
    import pty

    secret = b"typed-Secret-88"
    master, slave = pty.openpty()
    # A new session: no controlling terminal, so getpass works on the pty it is given.
    proc = subprocess.Popen(
        [sys.executable, "-m", "convergio_tui", "vault", "set", "web", "TOKEN"],
        env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    seen = bytearray()
    try:
        _read_until(master, b"Value for TOKEN: ", seen)
        os.write(master, secret + b"\n")
        _read_until(master, b"Repeat for confirmation: ", seen)
        os.write(master, secret + b"\n")
        _read_until(master, b"stored TOKEN", seen)
        assert proc.wait(timeout=60) == 0
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert secret not in seen  # the terminal never showed it
    assert convergio(env, "get", "web", "TOKEN").stdout == secret.decode() + "\n"
