"""Framing for streamed replies: server-sent events and newline-delimited JSON. Pure."""

from __future__ import annotations

import json
from typing import Any


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event (``data`` as JSON unless it is already a string)."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


def ndjson(data: Any) -> bytes:
    """One line of newline-delimited JSON."""
    return (json.dumps(data, separators=(",", ":")) + "\n").encode()
