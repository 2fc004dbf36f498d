"""The Ollama stand-in answers the two endpoints the health check uses (loopback only)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from convergio_tui.sim.ollama import serve_ollama


def get_json(url: str) -> dict[str, object]:
    """GET a URL and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_version_and_configured_tags() -> None:
    with serve_ollama(models=["qwen3-coder:latest", "llama3.3:70b"]) as url:
        assert url.startswith("http://127.0.0.1:")
        assert get_json(f"{url}/api/version") == {"version": "0.12.0"}
        tags = get_json(f"{url}/api/tags")
        assert [m["name"] for m in tags["models"]] == ["qwen3-coder:latest", "llama3.3:70b"]  # type: ignore[index, union-attr]
        with pytest.raises(urllib.error.HTTPError) as err:
            get_json(f"{url}/api/unknown")
        assert err.value.code == 404


def test_the_server_stops_with_the_block() -> None:
    with serve_ollama(models=[]) as url:
        assert get_json(f"{url}/api/tags") == {"models": []}
    with pytest.raises(urllib.error.URLError):
        get_json(f"{url}/api/version")


def test_runs_as_a_module_on_a_given_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "convergio_tui.sim.ollama", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                assert get_json(f"http://127.0.0.1:{port}/api/version")["version"] == "0.12.0"
                break
            except urllib.error.URLError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        names = [m["name"] for m in get_json(f"http://127.0.0.1:{port}/api/tags")["models"]]  # type: ignore[index, union-attr]
        assert "qwen3-coder:latest" in names
    finally:
        proc.terminate()
        proc.wait(timeout=5)
