"""A stand-in for Ollama's HTTP API on 127.0.0.1: ``/api/version`` and ``/api/tags``.

Test and demo instrument (convergio-sim). ``with serve_ollama(["qwen3-coder:latest"]) as
url:`` runs it on a free port in a thread; ``python -m convergio_tui.sim.ollama --port N``
runs it in the foreground.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OLLAMA_VERSION = "0.12.0"
DEFAULT_MODELS = ("qwen3-coder:latest", "llama3.3:latest")


def _model_entry(name: str) -> dict[str, object]:
    base = name.split(":", 1)[0]
    return {
        "name": name,
        "model": name,
        "modified_at": "2026-01-01T00:00:00Z",
        "size": 4_000_000_000,
        "digest": hashlib.sha256(name.encode("utf-8")).hexdigest(),
        "details": {"format": "gguf", "family": base, "parameter_size": "30B"},
    }


class _Handler(BaseHTTPRequestHandler):
    server: OllamaServer

    def _send(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/api/version":
            self._send(200, {"version": OLLAMA_VERSION})
        elif path == "/api/tags":
            self._send(200, {"models": [_model_entry(m) for m in self.server.models]})
        elif path == "/":
            self._send(200, {"status": "Ollama is running [convergio-sim]"})
        else:
            self._send(404, {"error": "not found"})

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests and the dashboard own the terminal."""


class OllamaServer(ThreadingHTTPServer):
    """The HTTP server; ``models`` may be replaced while it runs."""

    daemon_threads = True

    def __init__(self, port: int, models: Sequence[str]) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.models = list(models)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve_ollama(models: Sequence[str] = DEFAULT_MODELS, port: int = 0) -> Iterator[str]:
    """Serve the stand-in in a thread for the duration of the block; yields its URL."""
    server = OllamaServer(port, models)
    thread = threading.Thread(target=server.serve_forever, name="sim-ollama", daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stand-in in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="Ollama stand-in [convergio-sim]")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--model", action="append", dest="models", help="repeatable")
    args = parser.parse_args(argv)
    server = OllamaServer(args.port, args.models or DEFAULT_MODELS)
    print(f"ollama stand-in [convergio-sim] on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
