"""The Anthropic Messages API as the real ``claude`` uses it with ``ANTHROPIC_BASE_URL``.

- ``POST /v1/messages`` (``?beta=true`` too): one scripted :class:`Reply` per request,
  streamed as server-sent events when the body asks ``stream: true`` (``message_start``
  with usage, ``content_block_start``/``_delta``/``_stop`` for text and ``tool_use``
  blocks with ``input_json_delta``, ``message_delta`` with ``stop_reason`` and output
  usage, ``message_stop``), else one JSON message. A failed reply answers its HTTP status
  with Anthropic's error body ``{"type":"error","error":{"type":...,"message":...}}``.
- ``POST /v1/messages/count_tokens``: a deterministic count (not a model request).
- ``GET /v1/models`` and ``GET /v1/models/{id}`` from an Anthropic client (its
  ``anthropic-version`` or ``x-api-key`` header): the Claude models.

A key starting with ``sk-invalid`` is refused on every path with a 401
``authentication_error`` ("invalid x-api-key"), as the real API refuses a bad key.

The CLI also sends small, non-model requests on its own (a one-token quota check with
``max_tokens: 1``, a title or topic request with a tiny prompt). They consume no scripted
reply unless they are real model turns: see :func:`is_model_turn`.
"""

from __future__ import annotations

import json
from typing import Any

from convergio_tui.sim.standin.frames import sse
from convergio_tui.sim.standin.script import Reply
from convergio_tui.sim.standin.server import Request, Response, StandIn

NAME = "anthropic"
INVALID_KEY_PREFIX = "sk-invalid"
MODELS = ("claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5")
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def is_model_turn(body: Any) -> bool:
    """True for a request the agent loop makes (it offers tools); False for the CLI's
    side requests (quota probe, session title), which get the default reply and never
    consume the script."""
    return isinstance(body, dict) and "tools" in body


def error_body(reply: Reply) -> dict[str, Any]:
    """Anthropic's error document for a failed reply."""
    kind = reply.error_type or _ERROR_TYPES.get(reply.status, "api_error")
    message = reply.error or f"stand-in error {reply.status}"
    return {"type": "error", "error": {"type": kind, "message": message}}


def _message_id(standin: StandIn) -> str:
    return f"msg_standin{len(standin.requests):06d}"


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    for call in reply.tool_calls:
        blocks.append({"type": "tool_use", "id": f"toolu_{call.id}", "name": call.name,
                       "input": dict(call.arguments)})  # fmt: skip
    return blocks


def _usage(reply: Reply, output: bool) -> dict[str, Any]:
    return {
        "input_tokens": reply.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": reply.output_tokens if output else 1,
        "service_tier": "standard",
    }


def message(reply: Reply, model: str, msg_id: str) -> dict[str, Any]:
    """The whole message of a non-streaming reply."""
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _blocks(reply),
        "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
        "stop_sequence": None,
        "usage": _usage(reply, output=True),
    }


def _block_events(index: int, block: dict[str, Any]) -> list[bytes]:
    if block["type"] == "text":
        start = {"type": "text", "text": ""}
        text = block["text"]
        # Two deltas: the CLI must join them (a split reply is how the real API streams).
        half = len(text) // 2
        deltas = [{"type": "text_delta", "text": part} for part in (text[:half], text[half:])]
    else:
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        raw = json.dumps(block["input"], ensure_ascii=False)
        half = len(raw) // 2
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in (raw[:half], raw[half:])]
    events = [sse({"type": "content_block_start", "index": index, "content_block": start},
                  "content_block_start")]  # fmt: skip
    for delta in deltas:
        events.append(sse({"type": "content_block_delta", "index": index, "delta": delta},
                          "content_block_delta"))  # fmt: skip
    events.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
    return events


def stream(reply: Reply, model: str, msg_id: str) -> list[bytes]:
    """The server-sent events of a streamed reply, in the API's order."""
    whole = message(reply, model, msg_id)
    start = {**whole, "content": [], "stop_reason": None, "usage": _usage(reply, output=False)}
    events = [sse({"type": "message_start", "message": start}, "message_start")]
    for index, block in enumerate(whole["content"]):
        events.extend(_block_events(index, block))
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": whole["stop_reason"], "stop_sequence": None},
        "usage": {"output_tokens": reply.output_tokens},
    }
    events.append(sse(delta, "message_delta"))
    events.append(sse({"type": "message_stop"}, "message_stop"))
    return events


def _messages(request: Request, standin: StandIn) -> Response:
    body = request.body if isinstance(request.body, dict) else {}
    model = str(body.get("model") or MODELS[0])
    reply = standin.script.next(NAME) if is_model_turn(body) else Reply(text="Stand-in.")
    if reply.failed:
        headers = (*reply.headers, ("request-id", "req_standin"))
        return Response(reply.status, error_body(reply), headers=headers)
    msg_id = _message_id(standin)
    if body.get("stream"):
        return Response(200, chunks=stream(reply, model, msg_id),
                        content_type="text/event-stream", headers=reply.headers)  # fmt: skip
    return Response(200, message(reply, model, msg_id), headers=reply.headers)


def _count_tokens(request: Request) -> Response:
    # A deterministic count: the JSON body's length / 4, as a rough tokenizer would.
    return Response(200, {"input_tokens": max(1, len(request.raw) // 4)})


def _model_entry(model: str) -> dict[str, Any]:
    return {"type": "model", "id": model, "display_name": model,
            "created_at": "2025-01-01T00:00:00Z"}  # fmt: skip


def _bad_key(request: Request) -> bool:
    key = request.headers.get("x-api-key") or request.headers.get("authorization", "")
    return key.removeprefix("Bearer ").startswith(INVALID_KEY_PREFIX)


def _mine(request: Request, path: str) -> bool:
    if request.method == "POST":
        return path in ("/v1/messages", "/v1/messages/count_tokens")
    # ``/v1/models`` is OpenAI's path too: only an Anthropic client's request is ours.
    anthropic = "anthropic-version" in request.headers or "x-api-key" in request.headers
    models = path == "/v1/models" or path.startswith("/v1/models/")
    return request.method == "GET" and models and anthropic


def handle(request: Request, standin: StandIn) -> Response | None:
    """Answer the Messages API paths; None for any other (OpenAI's ``/v1/...`` too)."""
    path = request.path.rstrip("/")
    if not _mine(request, path):
        return None
    if _bad_key(request):
        bad = Reply(status=401, error_type="authentication_error", error="invalid x-api-key")
        return Response(401, error_body(bad), headers=(("request-id", "req_standin"),))
    if path == "/v1/messages":
        return _messages(request, standin)
    if path == "/v1/messages/count_tokens":
        return _count_tokens(request)
    if path == "/v1/models":
        models = [_model_entry(m) for m in MODELS]
        return Response(200, {"data": models, "has_more": False,
                              "first_id": MODELS[0], "last_id": MODELS[-1]})  # fmt: skip
    return Response(200, _model_entry(path.rsplit("/", 1)[1]))
