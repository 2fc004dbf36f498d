"""What the stand-in answers: scripted replies, consumed one per model request. Pure."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """The model asks the CLI to run one of its tools (``name`` as the CLI declared it)."""

    name: str
    arguments: dict[str, Any]
    id: str = "call_1"


@dataclass(frozen=True)
class Reply:
    """One model turn. ``status`` other than 200 answers with that HTTP error instead
    (``error`` is the provider's error message, ``error_type`` its code, e.g.
    ``authentication_error``, ``RESOURCE_EXHAUSTED``); ``headers`` are added (e.g.
    ``retry-after``). With ``tool_calls`` the turn asks for tools; the CLI's next request
    carries their results and gets the next reply."""

    text: str = "Done."
    tool_calls: tuple[ToolCall, ...] = ()
    input_tokens: int = 120
    output_tokens: int = 30
    status: int = 200
    error: str = ""
    error_type: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    # Applies to every request that would consume it: an error that repeats on the
    # CLI's own retries (a bad key, a missing model) instead of one attempt.
    sticky: bool = False

    @property
    def failed(self) -> bool:
        """The reply is an HTTP error."""
        return self.status != 200


@dataclass
class Script:
    """Replies per protocol (``anthropic``, ``openai``, ``gemini``), in order; when one
    runs dry the default reply answers. Thread-safe: CLIs may send requests in parallel."""

    default: Reply = field(default_factory=Reply)
    _queues: dict[str, deque[Reply]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, protocol: str, *replies: Reply) -> None:
        """Queue ``replies`` for ``protocol``'s next model requests."""
        with self._lock:
            self._queues.setdefault(protocol, deque()).extend(replies)

    def next(self, protocol: str) -> Reply:
        """The reply for one model request of ``protocol``."""
        with self._lock:
            queue = self._queues.get(protocol)
            if not queue:
                return self.default
            reply = queue[0]
            if not reply.sticky:
                queue.popleft()
            return reply

    def clear(self) -> None:
        """Forget every queued reply."""
        with self._lock:
            self._queues.clear()
