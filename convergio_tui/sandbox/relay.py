"""Carry exactly one TCP endpoint (the local model provider) into a network-less sandbox.

A sensitive task's agent runs under ``bwrap --unshare-net``: its namespace has only a
loopback interface and no route out. On the host, :class:`HostRelay` listens on a Unix
socket that is bound into the sandbox and connects every connection to one fixed
``(host, port)``. Inside, ``python -m convergio_tui.sandbox.relay`` listens on the endpoint's
loopback address, forwards each connection to that Unix socket and runs the agent as its
child. Nothing else is reachable: the namespace cannot route, and the host side never dials
anything but its configured endpoint.

Stdlib only, nothing from the rest of convergio_tui: this module starts on every sensitive task.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

MODULE = "convergio_tui.sandbox.relay"
_CHUNK = 64 * 1024  # per direction: the most one connection holds in user space
_CONNECT_TIMEOUT_S = 10.0
_JOIN_TIMEOUT_S = 2.0
_RELAY_FAILED = 125  # as env(1) and timeout(1): the wrapper failed, the command never ran
_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _abort(*socks: socket.socket) -> None:
    """Shut sockets down both ways: wakes any thread blocked on them (Linux, incl. accept())."""
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    """Copy src to dst until EOF, then half-close dst; on any error tear both down."""
    try:
        while chunk := src.recv(_CHUNK):
            dst.sendall(chunk)  # blocks while the peer is slow: the buffer stays bounded
        dst.shutdown(socket.SHUT_WR)  # pass the EOF on; the other direction keeps flowing
    except OSError:
        _abort(src, dst)


def _splice(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways between a and b until both directions end, then close both."""
    other = threading.Thread(target=_pump, args=(b, a), daemon=True)
    other.start()
    _pump(a, b)
    other.join()
    a.close()
    b.close()


def _accept_loop(
    listener: socket.socket, handle: Callable[[socket.socket], None], stopped: Callable[[], bool]
) -> None:
    """Hand each accepted connection to ``handle`` in its own daemon thread."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError as exc:
            if stopped() or exc.errno in (errno.EBADF, errno.EINVAL):
                return  # the listener was shut down or closed
            time.sleep(0.05)  # transient (EMFILE, ECONNABORTED): do not spin
            continue
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def _nodelay(sock: socket.socket) -> None:
    # The relay forwards chunks as they come; Nagle would add latency to streamed tokens.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class HostRelay:
    """Host side: a Unix socket whose every connection is carried to one TCP endpoint.

    ``with HostRelay("127.0.0.1", 11434, private_dir / "relay.sock"):`` binds the socket
    (mode 0600; the caller makes its directory private) and serves it from daemon threads
    until exit, which closes the listener and all open connections and removes the socket.
    """

    def __init__(self, host: str, port: int, socket_path: Path) -> None:
        self.host = host
        self.port = port
        self.socket_path = Path(socket_path)
        self._lock = threading.Lock()
        self._closing = False
        self._socks: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None

    def __enter__(self) -> HostRelay:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bound = False
        try:
            listener.bind(str(self.socket_path))
            bound = True
            os.chmod(self.socket_path, 0o600)  # before listen(): no one connects until private
            listener.listen(64)
        except BaseException:
            listener.close()
            if bound:
                self.socket_path.unlink(missing_ok=True)
            raise
        self._listener = listener
        args = (listener, self._serve, lambda: self._closing)
        self._acceptor = threading.Thread(target=_accept_loop, args=args, daemon=True)
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._closing = True
            socks, threads = list(self._socks), list(self._threads)
        if self._listener is not None:
            _abort(self._listener)
            if self._acceptor is not None:
                self._acceptor.join(_JOIN_TIMEOUT_S)
            self._listener.close()
        _abort(*socks)
        deadline = time.monotonic() + _JOIN_TIMEOUT_S
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.socket_path.unlink(missing_ok=True)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.add(sock)
            if self._closing:  # exit already swept the open sockets: do not outlive it
                _abort(sock)

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self._threads.add(threading.current_thread())
        self._track(conn)
        upstream: socket.socket | None = None
        try:
            if self._closing:
                raise ConnectionAbortedError  # accepted as exit began: do not dial
            # The only place this module dials out: always the one configured endpoint.
            upstream = socket.create_connection((self.host, self.port), _CONNECT_TIMEOUT_S)
            upstream.settimeout(None)
            _nodelay(upstream)
            self._track(upstream)
            _splice(conn, upstream)
        except OSError:  # the endpoint is down: the agent sees its connection closed
            conn.close()
            if upstream is not None:
                upstream.close()
        finally:
            with self._lock:
                self._socks.discard(conn)
                if upstream is not None:
                    self._socks.discard(upstream)
                self._threads.discard(threading.current_thread())


def parse_endpoint(url: str) -> tuple[str, int]:
    """``"http://127.0.0.1:11434"`` -> ``("127.0.0.1", 11434)``; port defaults by scheme.

    Raises ValueError unless ``url`` is an http(s) URL with a host and a valid port.
    """
    from urllib.parse import urlsplit  # host side only: keeps the in-sandbox start light

    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # e.g. an unbalanced "[" of an IPv6 literal
        raise ValueError(f"endpoint {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"endpoint {url!r}: expected an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError(f"endpoint {url!r}: no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"endpoint {url!r}: port must be a number in 1-65535") from None
    if port == 0:
        raise ValueError(f"endpoint {url!r}: port must be a number in 1-65535")
    return parts.hostname, port or _DEFAULT_PORTS[scheme]


def relay_argv(
    python: str, listen_host: str, listen_port: int, socket_path: str, argv: list[str]
) -> list[str]:
    """The in-sandbox command line: the relay listening on listen_host:listen_port, then argv.

    ``-I`` keeps the sandbox's working directory (the agent's worktree, possibly a copy of
    this very project) and PYTHON* variables from shadowing the installed relay.
    """
    if not argv:
        raise ValueError("relay_argv: the command to run is empty")
    if not 0 < listen_port < 65536:
        raise ValueError(f"relay_argv: port {listen_port} is not in 1-65535")
    host = f"[{listen_host}]" if ":" in listen_host else listen_host
    listen = f"{host}:{listen_port}"
    return [python, "-I", "-m", MODULE, "--listen", listen, "--unix", socket_path, "--", *argv]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line and 125, so a usage error cannot pass for the child's own exit code.
        self.exit(_RELAY_FAILED, f"relay: {message}\n")


def _listen(spec: str) -> socket.socket:
    host, sep, port = spec.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise OSError(f"expected HOST:PORT, got {spec!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, int(port)), family=family, backlog=64)


def _to_unix(unix_path: str) -> Callable[[socket.socket], None]:
    def forward(conn: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            _nodelay(conn)
            upstream.connect(unix_path)
        except OSError:
            # Silent on purpose: the agent's output is parsed; it reports its own failure.
            upstream.close()
            conn.close()
            return
        _splice(conn, upstream)

    return forward


def main(args: list[str]) -> int:
    """Sandbox side: ``--listen HOST:PORT --unix PATH -- ARGV...``; returns the exit code."""
    split = args.index("--") if "--" in args else len(args)
    own, command = args[:split], args[split + 1 :]
    parser = _Parser(prog=f"python -m {MODULE}", description=main.__doc__)
    parser.add_argument("--listen", required=True, metavar="HOST:PORT")
    parser.add_argument("--unix", required=True, metavar="PATH")
    opts = parser.parse_args(own)
    if not command:
        parser.error("no command after --")
    try:
        listener = _listen(opts.listen)  # before the child: it may connect straight away
    except OSError as exc:
        print(f"relay: cannot listen on {opts.listen}: {exc.strerror or exc}", file=sys.stderr)
        return _RELAY_FAILED

    child: subprocess.Popen[bytes] | None = None
    pending: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        if child is None:
            pending.append(signum)  # arrived before the child existed
        elif child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signum)

    for sig in _FORWARDED:
        signal.signal(sig, forward)
    threading.Thread(
        target=_accept_loop, args=(listener, _to_unix(opts.unix), lambda: False), daemon=True
    ).start()
    if pending:
        return 128 + pending[0]
    try:
        child = subprocess.Popen(command)  # inherits stdio and environment
    except OSError as exc:
        print(f"relay: cannot run {command[0]!r}: {exc.strerror or exc}", file=sys.stderr)
        return 127 if isinstance(exc, FileNotFoundError) else 126
    for signum in pending:
        forward(signum, None)
    code = child.wait()
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stderr.flush()
    # _exit: pump threads may still be blocked on open connections; do not wait for them.
    os._exit(status)
