"""The stand-in's HTTP server: routes each request to its protocol module and records it.

``with serve_standin() as standin:`` runs it on a free 127.0.0.1 port in a thread;
``standin.url`` is the base URL to give every CLI, ``standin.script.push(...)`` queues
replies and ``standin.requests`` lists what the CLIs sent (for assertions and recordings).

A protocol module exposes ``NAME`` and ``handle(request, standin) -> Response | None``;
it returns None for a path that is not its own. Modules are tried in order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from convergio_tui.sim.standin.script import Script


@dataclass(frozen=True)
class Request:
    """One HTTP request as a protocol module sees it (``body`` parsed when JSON)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    raw: bytes
    body: Any


@dataclass
class Response:
    """What to send back: a JSON document, or ``chunks`` streamed as they are given
    (server-sent events or newline-delimited JSON, already framed by the module)."""

    status: int = 200
    json_body: Any = None
    chunks: Sequence[bytes] = ()
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


Handler = Callable[[Request, "StandIn"], Response | None]


@dataclass
class Recorded:
    """A request the stand-in received, and the status it answered."""

    protocol: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class StandIn:
    """A running stand-in: its URL, its script and what it received."""

    url: str
    script: Script
    requests: list[Recorded] = field(default_factory=list)
    models: list[str] = field(default_factory=list)  # Ollama's tags and listed models
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, entry: Recorded) -> None:
        """Remember one request (thread-safe)."""
        with self._lock:
            self.requests.append(entry)

    def sent(self, protocol: str | None = None) -> list[Recorded]:
        """The recorded requests (of one protocol)."""
        with self._lock:
            return [r for r in self.requests if protocol is None or r.protocol == protocol]


def _handlers() -> list[tuple[str, Handler]]:
    # Imported here: each module imports this one for Request/Response.
    from convergio_tui.sim.standin import protocols

    return protocols.HANDLERS


def _route(request: Request, standin: StandIn) -> tuple[str, Response]:
    """The first protocol module that claims ``request``, and its response."""
    for name, handle in _handlers():
        response = handle(request, standin)
        if response is not None:
            return name, response
    return "unknown", Response(404, {"error": f"no stand-in for {request.path}"})


class _HTTPHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, path, query, headers, raw, body)
        standin = self.server.standin
        name, response = _route(request, standin)
        standin.record(Recorded(name, self.command, path, headers, body, response.status))
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for key, value in response.headers:
            self.send_header(key, value)
        if response.chunks:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for chunk in response.chunks:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            return
        data = json.dumps(response.json_body if response.json_body is not None else {}).encode()
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the tests own the terminal."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: StandIn, port: int) -> None:
        super().__init__(("127.0.0.1", port), _HTTPHandler)
        self.standin = standin


@contextmanager
def serve_standin(models: Sequence[str] = ("qwen3-coder:latest",), port: int = 0,
                  script: Script | None = None) -> Iterator[StandIn]:  # fmt: skip
    """Serve the stand-in in a thread for the duration of the block."""
    standin = StandIn("", script or Script(), models=list(models))
    server = _Server(standin, port)
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="sim-standin", daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
