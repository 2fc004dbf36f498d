"""The network relay, with the real bubblewrap: inside ``--unshare-net`` only the one relayed
endpoint answers; bodies pass intact both ways; exit codes and signals pass through."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from convergio_tui.sandbox.relay import HostRelay, parse_endpoint, relay_argv

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

TIMEOUT = 60  # a busy 2-core box: generous, but nothing may hang
BIG = 5 * 1024 * 1024
CONCURRENT = 6
VERSION = {"version": "0.0.0-relay-test"}


def pattern(size: int) -> bytes:
    """Deterministic, non-repeating-at-chunk-size bytes both sides can rebuild."""
    block = bytes(range(251))  # prime length: a dropped or repeated chunk changes the hash
    return (block * (size // len(block) + 1))[:size]


class Handler(BaseHTTPRequestHandler):
    """/api/version, /big (5 MB down), /echo (body back), /barrier (N at once), /hold."""

    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def reply(self, body: bytes, ctype: str = "application/octet-stream") -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/api/version":
            self.reply(json.dumps(self.server.version).encode(), "application/json")
        elif self.path == "/big":
            self.reply(pattern(BIG))
        elif self.path == "/barrier":
            # Answers only once CONCURRENT requests are in flight at the same time.
            self.server.barrier.wait()
            self.reply(b"together")
        elif self.path == "/hold":
            self.send_response(200)
            self.send_header("Content-Length", "1")
            self.end_headers()
            self.wfile.flush()
            self.server.release.wait(TIMEOUT)  # keeps the connection open until teardown
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        self.reply(self.rfile.read(int(self.headers["Content-Length"])))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, version: dict[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.version = version
        self.barrier = threading.Barrier(CONCURRENT, timeout=TIMEOUT / 2)
        self.release = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def serve(version: dict[str, str]) -> Iterator[Server]:
    server = Server(version)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.barrier.abort()
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


@pytest.fixture
def endpoint() -> Iterator[Server]:
    """The model provider stand-in: the one endpoint the sandbox may reach."""
    yield from serve(VERSION)


@pytest.fixture
def decoy() -> Iterator[Server]:
    """Another host service on loopback that the sandbox must not reach."""
    yield from serve({"version": "decoy"})


@pytest.fixture
def private() -> Iterator[Path]:
    """A private directory with a short path (AF_UNIX paths are limited to 107 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="cvg-relay-"))
    path.chmod(0o700)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def bwrap(private: Path, argv: list[str]) -> list[str]:
    return [
        "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        "--unshare-net", "--unshare-pid", "--die-with-parent",
        "--bind", str(private), str(private), "--", *argv,
    ]  # fmt: skip


def relayed(private: Path, port: int, code: str, *args: str) -> list[str]:
    """bwrap running ``python -c code args`` behind the relay listening on 127.0.0.1:port."""
    child = [sys.executable, "-c", code, *args]
    return bwrap(private, relay_argv(sys.executable, "127.0.0.1", port, str(private / "relay.sock"), child))  # fmt: skip


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)


PROBE = """
import errno, json, socket, sys, urllib.request
port, decoy = int(sys.argv[1]), int(sys.argv[2])
with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/version", timeout=30) as resp:
    version = json.load(resp)
def refused(addr):
    try:
        socket.create_connection(addr, timeout=1).close()
    except OSError as exc:
        return errno.errorcode.get(exc.errno, repr(exc))
    return "connected"
print(json.dumps({"version": version, "decoy": refused(("127.0.0.1", decoy)),
                  "outside": refused(("10.255.255.1", 80))}))
raise SystemExit(3)
"""


def test_only_the_relayed_endpoint_is_reachable_and_exit_code_passes(
    endpoint: Server, decoy: Server, private: Path
) -> None:
    with HostRelay("127.0.0.1", endpoint.port, private / "relay.sock"):
        result = run(relayed(private, endpoint.port, PROBE, str(endpoint.port), str(decoy.port)))
    assert result.returncode == 3, result.stderr
    assert result.stderr == ""  # the relay adds nothing: agent output is parsed
    assert json.loads(result.stdout) == {
        "version": VERSION,
        "decoy": "ECONNREFUSED",
        "outside": "ENETUNREACH",
    }
    assert not (private / "relay.sock").exists()


def test_without_the_relay_the_endpoint_is_unreachable(endpoint: Server, private: Path) -> None:
    code = (
        "import socket, sys\n"
        "try:\n    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=1)\n"
        "except ConnectionRefusedError:\n    raise SystemExit(0)\n"
        "raise SystemExit(1)\n"
    )
    result = run(bwrap(private, [sys.executable, "-c", code, str(endpoint.port)]))
    assert result.returncode == 0, result.stderr
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5):
        pass  # while the host itself reaches it


BIG_BOTH_WAYS = """
import hashlib, os, sys, urllib.request
port, size = int(sys.argv[1]), int(sys.argv[2])
block = bytes(range(251))
expected = (block * (size // len(block) + 1))[:size]
with urllib.request.urlopen(f"http://127.0.0.1:{port}/big", timeout=30) as resp:
    assert resp.read() == expected, "download differs"
upload = os.urandom(size)
request = urllib.request.Request(f"http://127.0.0.1:{port}/echo", data=upload, method="POST")
with urllib.request.urlopen(request, timeout=30) as resp:
    assert hashlib.sha256(resp.read()).digest() == hashlib.sha256(upload).digest(), "echo differs"
"""


def test_a_large_body_passes_intact_both_ways(endpoint: Server, private: Path) -> None:
    with HostRelay("127.0.0.1", endpoint.port, private / "relay.sock"):
        result = run(relayed(private, endpoint.port, BIG_BOTH_WAYS, str(endpoint.port), str(BIG)))
    assert result.returncode == 0, result.stderr


CONCURRENT_CLIENTS = """
import sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
port, n = int(sys.argv[1]), int(sys.argv[2])
def fetch(_):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/barrier", timeout=40) as resp:
        return resp.read()
with ThreadPoolExecutor(n) as pool:
    assert list(pool.map(fetch, range(n))) == [b"together"] * n
"""


def test_concurrent_connections_are_in_flight_together(endpoint: Server, private: Path) -> None:
    # The server's barrier releases only when all requests are open at once.
    with HostRelay("127.0.0.1", endpoint.port, private / "relay.sock"):
        args = (str(endpoint.port), str(CONCURRENT))
        result = run(relayed(private, endpoint.port, CONCURRENT_CLIENTS, *args))
    assert result.returncode == 0, result.stderr


HOLD_AND_LEAVE = """
import socket, subprocess, sys
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
sock.sendall(b"GET /hold HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
assert sock.recv(64).startswith(b"HTTP/1.")
# A grandchild keeps the connection open in both directions after this child exits.
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], pass_fds=[sock.fileno()])
"""


def test_the_relay_exits_when_the_child_does_despite_an_open_connection(
    endpoint: Server, private: Path
) -> None:
    with HostRelay("127.0.0.1", endpoint.port, private / "relay.sock"):
        started = time.monotonic()
        result = run(relayed(private, endpoint.port, HOLD_AND_LEAVE, str(endpoint.port)))
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 50, f"relay took {elapsed:.1f}s"  # the grandchild sleeps 60 s


def test_a_child_killed_by_a_signal_exits_128_plus_signal(private: Path) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    result = run(relayed(private, 11434, code))
    assert result.returncode == 128 + signal.SIGKILL, result.stderr


def test_signals_are_forwarded_to_the_child(private: Path) -> None:
    # Directly on the host: the relay is what forwards, and the child tells it is ready.
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    port = free_port()
    argv = relay_argv(sys.executable, "127.0.0.1", port, str(private / "none.sock"), [sys.executable, "-c", code])  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 7
    finally:
        proc.kill()
        proc.wait(TIMEOUT)
    assert proc.stderr is not None and proc.stderr.read() == ""


def test_a_failed_bind_exits_125_without_starting_the_child(
    endpoint: Server, private: Path
) -> None:
    marker = private / "started"
    code = f"open({str(marker)!r}, 'w').close()"
    argv = relay_argv(sys.executable, "127.0.0.1", endpoint.port, str(private / "relay.sock"), [sys.executable, "-c", code])  # fmt: skip
    result = run(argv)  # on the host, where the endpoint's port is taken
    assert result.returncode == 125
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "cannot listen" in result.stderr
    assert not marker.exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_host_relay_socket_is_private_and_exit_closes_open_connections(
    endpoint: Server, private: Path
) -> None:
    path = private / "relay.sock"
    with HostRelay("127.0.0.1", endpoint.port, path):
        assert stat.S_ISSOCK(path.stat().st_mode) and stat.S_IMODE(path.stat().st_mode) == 0o600
        client = socket.socket(socket.AF_UNIX)
        client.settimeout(TIMEOUT)
        client.connect(str(path))
        client.sendall(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(64).startswith(b"HTTP/1.")
    # Exit shut the held connection down: the client sees the end instead of waiting.
    with client:
        while client.recv(4096):
            pass
    assert not path.exists()


def test_host_relay_closes_the_connection_when_the_endpoint_is_down(private: Path) -> None:
    path = private / "relay.sock"
    with HostRelay("127.0.0.1", free_port(), path), socket.socket(socket.AF_UNIX) as client:
        client.settimeout(TIMEOUT)
        client.connect(str(path))
        assert client.recv(1) == b""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:11434", ("127.0.0.1", 11434)),
        ("http://localhost:11434/", ("localhost", 11434)),
        ("http://LocalHost/api", ("localhost", 80)),
        ("https://models.internal", ("models.internal", 443)),
        ("http://[::1]:8080/v1", ("::1", 8080)),
    ],
)
def test_parse_endpoint(url: str, expected: tuple[str, int]) -> None:
    assert parse_endpoint(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("127.0.0.1:11434", "http:// or https://"),
        ("ftp://host:21", "http:// or https://"),
        ("http://:11434", "no host"),
        ("http://host:99999", "1-65535"),
        ("http://host:0", "1-65535"),
        ("http://host:port", "1-65535"),
        ("http://[::1:80", "IPv6"),
    ],
)
def test_parse_endpoint_rejects(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_endpoint(url)


def test_relay_argv() -> None:
    assert relay_argv("/py", "127.0.0.1", 11434, "/s/relay.sock", ["agent", "--", "-x"]) == [
        "/py", "-I", "-m", "convergio_tui.sandbox.relay",
        "--listen", "127.0.0.1:11434", "--unix", "/s/relay.sock", "--", "agent", "--", "-x",
    ]  # fmt: skip
    assert "[::1]:80" in relay_argv("/py", "::1", 80, "/s", ["a"])
    with pytest.raises(ValueError):
        relay_argv("/py", "127.0.0.1", 11434, "/s", [])
    with pytest.raises(ValueError):
        relay_argv("/py", "127.0.0.1", 0, "/s", ["a"])


def test_module_imports_stdlib_only() -> None:
    code = (
        "import sys\n"
        "import convergio_tui.sandbox.relay\n"
        "print(sorted(m for m in sys.modules if m.startswith('convergio_tui')))\n"
    )
    result = run([sys.executable, "-I", "-c", code])
    assert result.stdout.strip() == str(
        ["convergio_tui", "convergio_tui.sandbox", "convergio_tui.sandbox.relay"]
    ), result.stderr


def test_usage_errors_exit_125() -> None:
    base = [sys.executable, "-I", "-m", "convergio_tui.sandbox.relay"]
    for argv in ([*base, "--", "true"], [*base, "--listen", "127.0.0.1:1", "--unix", "/x"]):
        result = run(argv)
        assert result.returncode == 125 and len(result.stderr.splitlines()) == 1, result.stderr
