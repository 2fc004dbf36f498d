"""The Gemini API as the real ``gemini`` uses it with ``GOOGLE_GEMINI_BASE_URL`` and an
API key (``GEMINI_API_KEY``, sent as ``x-goog-api-key``).

- ``POST /v1beta/models/<model>:streamGenerateContent?alt=sse``: one scripted
  :class:`Reply` per request, as server-sent events of ``GenerateContentResponse``
  chunks: the text in two chunks (the CLI must join them), then the function calls and
  ``finishReason: STOP`` with ``usageMetadata`` (``promptTokenCount``,
  ``candidatesTokenCount``, ``totalTokenCount``).
- ``POST /v1beta/models/<model>:generateContent``: the same reply as one document.
- ``POST /v1beta/models/<model>:countTokens``: a deterministic count (not a model turn).
- ``GET /v1beta/models`` and ``GET /v1beta/models/<model>``: the models the stand-in knows.

A failed reply answers in Google's error shape ``{"error": {"code", "message", "status",
"details"}}``. ``Reply.error_type`` is either the canonical status (``RESOURCE_EXHAUSTED``,
``NOT_FOUND``...) or an ``ErrorInfo`` reason such as ``API_KEY_INVALID`` (then the status
follows the HTTP code, ``INVALID_ARGUMENT`` for 400). A 429 carries no ``RetryInfo``
unless a ``retry-after`` header is given: the CLI then retries on its own back-off.

Side requests the CLI makes without tools (a next-speaker check, a session summary) get
the default reply and consume no scripted one: see :func:`is_model_turn`.
"""

from __future__ import annotations

import re
from typing import Any

from convergio_tui.sim.standin.frames import sse
from convergio_tui.sim.standin.script import Reply
from convergio_tui.sim.standin.server import Request, Response, StandIn

NAME = "gemini"
MODELS = ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite")
_PATH = re.compile(r"^/v1(?:beta|alpha)?/models(?:/(?P<model>[^/:]+)(?::(?P<method>\w+))?)?$")
_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_CANONICAL = frozenset(_STATUSES.values()) | {"FAILED_PRECONDITION", "ABORTED", "UNKNOWN"}
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


def is_model_turn(body: Any) -> bool:
    """True for a request of the agent loop (it declares tools); False for the CLI's
    side requests, which get the default reply and never consume the script."""
    return isinstance(body, dict) and bool(body.get("tools"))


def error_body(reply: Reply) -> dict[str, Any]:
    """Google's error document for a failed reply."""
    kind = reply.error_type
    status = kind if kind in _CANONICAL else _STATUSES.get(reply.status, "UNKNOWN")
    error: dict[str, Any] = {
        "code": reply.status,
        "message": reply.error or f"stand-in error {reply.status}",
        "status": status,
    }
    if kind and kind not in _CANONICAL:
        error["details"] = [{
            "@type": _ERROR_INFO, "reason": kind, "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        }]  # fmt: skip
    return {"error": error}


def _usage(reply: Reply) -> dict[str, Any]:
    return {
        "promptTokenCount": reply.input_tokens,
        "candidatesTokenCount": reply.output_tokens,
        "totalTokenCount": reply.input_tokens + reply.output_tokens,
    }


def _candidate(parts: list[dict[str, Any]], finish: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = "STOP"
    return candidate


def _calls(reply: Reply) -> list[dict[str, Any]]:
    return [{"functionCall": {"name": c.name, "args": dict(c.arguments)}} for c in reply.tool_calls]


def document(reply: Reply, model: str) -> dict[str, Any]:
    """The whole ``GenerateContentResponse`` of a non-streaming reply."""
    parts = ([{"text": reply.text}] if reply.text else []) + _calls(reply)
    return {
        "candidates": [_candidate(parts, finish=True)],
        "usageMetadata": _usage(reply),
        "modelVersion": model,
        "responseId": "standin-response",
    }


def stream(reply: Reply, model: str) -> list[bytes]:
    """The server-sent events of a streamed reply: text in two chunks, then the calls,
    the finish reason and the usage."""
    chunks: list[dict[str, Any]] = []
    half = len(reply.text) // 2
    for piece in (reply.text[:half], reply.text[half:]):
        if piece:
            chunks.append({"candidates": [_candidate([{"text": piece}], finish=False)]})
    last = document(reply, model)
    last["candidates"] = [_candidate(_calls(reply) or [{"text": ""}], finish=True)]
    chunks.append(last)
    for chunk in chunks:
        chunk.setdefault("modelVersion", model)
        chunk.setdefault("responseId", "standin-response")
    return [sse(chunk) for chunk in chunks]


def _model_entry(model: str) -> dict[str, Any]:
    return {
        "name": f"models/{model}",
        "displayName": model,
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    }


def _known(standin: StandIn) -> list[str]:
    return list(dict.fromkeys([*MODELS, *standin.models]))


def _count(body: Any) -> int:
    """A deterministic token count: a quarter of the request's characters."""
    return max(1, len(str(body)) // 4)


def handle(request: Request, standin: StandIn) -> Response | None:
    """Answer the Gemini API paths; None for any other."""
    match = _PATH.match(request.path)
    if match is None:
        return None
    model, method = match.group("model"), match.group("method")
    if model is None:
        return Response(200, {"models": [_model_entry(m) for m in _known(standin)]})
    if method is None:
        if model in _known(standin):
            return Response(200, _model_entry(model))
        return Response(404, error_body(Reply(status=404, error=f"models/{model} is not found")))
    if method == "countTokens":
        return Response(200, {"totalTokens": _count(request.body)})
    if method not in ("streamGenerateContent", "generateContent"):
        return None
    reply = standin.script.next(NAME) if is_model_turn(request.body) else standin.script.default
    if reply.failed:
        return Response(reply.status, error_body(reply), headers=reply.headers)
    if method == "generateContent":
        return Response(200, document(reply, model))
    return Response(200, chunks=stream(reply, model), content_type="text/event-stream")
