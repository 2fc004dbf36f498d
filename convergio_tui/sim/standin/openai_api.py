"""OpenAI chat completions, as copilot's BYOK provider and opencode's OpenAI-compatible
(Ollama) provider call them: ``POST /v1/chat/completions`` (or ``/chat/completions``),
streamed as server-sent events or answered as one JSON document, and ``GET /v1/models``.

Each model request consumes one scripted :class:`~.script.Reply` of protocol ``openai``.
A reply with ``status`` other than 200 answers with OpenAI's error shape
(``{"error": {"message", "type", "code"}}``); ``tool_calls`` are streamed as OpenAI's
``delta.tool_calls`` with ``finish_reason: tool_calls``; a final usage chunk follows when
the request asks for it (``stream_options.include_usage``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from convergio_tui.sim.standin.frames import sse
from convergio_tui.sim.standin.script import Reply
from convergio_tui.sim.standin.server import Request, Response, StandIn

NAME = "openai"
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
MODEL_PATHS = ("/v1/models", "/models")
# OpenAI's error ``type`` per HTTP status, used when the reply names none.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_denied",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}
_ERROR_CODES = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}
# opencode asks for a session title in a request of its own (opencode 1.18.33).
_TITLE_PROMPT = "You are a title generator"
AUXILIARY_REPLY = Reply(text="Convergio task", input_tokens=0, output_tokens=0)
# A key starting with this is refused as OpenAI refuses a wrong key (401 invalid_api_key).
INVALID_KEY_PREFIX = "sk-invalid"
INVALID_KEY = Reply(
    status=401,
    error="Incorrect API key provided. You can find your API key at "
    "https://platform.openai.com/account/api-keys.",
    error_type="invalid_request_error",
)


def _models(standin: StandIn) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": 1767225600, "owned_by": "convergio-sim"}
            for m in standin.models
        ],
    }


def error_body(reply: Reply) -> dict[str, Any]:
    """OpenAI's error document for an HTTP error reply."""
    return {
        "error": {
            "message": reply.error or f"HTTP {reply.status}",
            "type": reply.error_type or _ERROR_TYPES.get(reply.status, "api_error"),
            "param": None,
            "code": _ERROR_CODES.get(reply.status),
        }
    }


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "index": i,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
        }
        for i, call in enumerate(reply.tool_calls)
    ]


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return sse({**base, "choices": [choice]})


def _stream(reply: Reply, model: str, include_usage: bool) -> list[bytes]:
    base = {
        "id": "chatcmpl-convergio-sim",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    chunks = [_chunk(base, {"role": "assistant", "content": ""})]
    if reply.text:
        # Two pieces: a CLI must join deltas, not keep the last one.
        half = len(reply.text) // 2
        for piece in (reply.text[:half], reply.text[half:]):
            if piece:
                chunks.append(_chunk(base, {"content": piece}))
    for call in _tool_calls(reply):
        chunks.append(_chunk(base, {"tool_calls": [call]}))
    finish = "tool_calls" if reply.tool_calls else "stop"
    chunks.append(_chunk(base, {}, finish))
    if include_usage:
        chunks.append(sse({**base, "choices": [], "usage": _usage(reply)}))
    chunks.append(b"data: [DONE]\n\n")
    return chunks


def _document(reply: Reply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {k: v for k, v in call.items() if k != "index"} for call in _tool_calls(reply)
        ]
    return {
        "id": "chatcmpl-convergio-sim",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _usage(reply),
    }


def is_auxiliary(body: Any) -> bool:
    """A request a CLI makes on its own beside the task (opencode's session title): the
    stand-in answers it without consuming a scripted reply, because it may run before,
    after or alongside the task's own requests."""
    messages = body.get("messages") if isinstance(body, dict) else None
    first = messages[0] if isinstance(messages, list) and messages else {}
    content = first.get("content") if isinstance(first, dict) else None
    return (
        first.get("role") == "system"
        and isinstance(content, str)
        and (content.startswith(_TITLE_PROMPT))
    )


def model_requests(standin: StandIn) -> list[Any]:
    """The chat requests that carried the task (auxiliary ones left out), oldest first."""
    return [
        r.body
        for r in standin.sent(NAME)
        if r.path in CHAT_PATHS and isinstance(r.body, dict) and not is_auxiliary(r.body)
    ]


def _chat(request: Request, standin: StandIn) -> Response:
    body = request.body if isinstance(request.body, dict) else {}
    key = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if key.startswith(INVALID_KEY_PREFIX):
        return Response(401, error_body(INVALID_KEY))
    reply = AUXILIARY_REPLY if is_auxiliary(body) else standin.script.next(NAME)
    if reply.failed:
        return Response(reply.status, error_body(reply), headers=reply.headers)
    model = str(body.get("model") or "")
    if not body.get("stream"):
        return Response(200, _document(reply, model), headers=reply.headers)
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    return Response(
        200,
        chunks=_stream(reply, model, include_usage),
        content_type="text/event-stream",
        headers=reply.headers,
    )


def handle(request: Request, standin: StandIn) -> Response | None:
    """Chat completions and the model list; None for any other path."""
    if request.method == "POST" and request.path in CHAT_PATHS:
        return _chat(request, standin)
    if request.method == "GET" and request.path in MODEL_PATHS:
        return Response(200, _models(standin))
    return None
