"""The stand-in's Anthropic Messages API, spoken to over real HTTP on 127.0.0.1: the
shapes the real claude reads (tests/contract/ runs the real CLI against it)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from convergio_tui.sim.standin import Reply, StandIn, ToolCall, serve_standin

HEADERS = {"content-type": "application/json", "x-api-key": "sk-test",
           "anthropic-version": "2023-06-01"}  # fmt: skip
TOOLS = [{"name": "Write", "input_schema": {"type": "object"}}]


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """The stand-in on a free port."""
    with serve_standin() as server:
        yield server


def call(standin: StandIn, path: str, body: dict[str, Any] | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    """One request; the status, headers and raw body (an HTTP error too)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(standin.url + path, data=data,
                                     headers=headers or HEADERS)  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def sse_events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` of each server-sent event."""
    found = []
    for block in raw.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            found.append((lines.get("event", ""), json.loads(lines["data"])))
    return found


def test_a_streamed_reply_is_the_api_event_sequence(standin: StandIn) -> None:
    write = ToolCall("Write", {"file_path": "/w/a.txt", "content": "é"}, id="x")
    standin.script.push("anthropic", Reply(text="Writing it.", tool_calls=(write,),
                                           input_tokens=11, output_tokens=7))  # fmt: skip
    body = {"model": "claude-sonnet-4-5", "stream": True, "tools": TOOLS, "max_tokens": 100,
            "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
    status, headers, raw = call(standin, "/v1/messages?beta=true", body)
    assert status == 200 and headers["Content-Type"] == "text/event-stream"
    events = sse_events(raw)
    names = [name for name, _ in events]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert all(name == data["type"] for name, data in events)
    assert events[0][1]["message"]["usage"]["input_tokens"] == 11
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert events[-2][1]["usage"]["output_tokens"] == 7
    text = "".join(
        d["delta"]["text"] for _, d in events if d.get("delta", {}).get("type") == "text_delta"
    )
    assert text == "Writing it."
    starts = [d["content_block"] for _, d in events if d["type"] == "content_block_start"]
    assert starts[1] == {"type": "tool_use", "id": "toolu_x", "name": "Write", "input": {}}
    partial = "".join(d["delta"]["partial_json"] for _, d in events
                      if d.get("delta", {}).get("type") == "input_json_delta")  # fmt: skip
    assert json.loads(partial) == {"file_path": "/w/a.txt", "content": "é"}


def test_a_whole_reply_is_one_message(standin: StandIn) -> None:
    standin.script.push("anthropic", Reply(text="Hello.", input_tokens=5, output_tokens=2))
    body = {"model": "claude-haiku-4-5", "stream": False, "tools": [], "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
    status, _, raw = call(standin, "/v1/messages", body)
    message = json.loads(raw)
    assert status == 200
    assert message["type"] == "message" and message["model"] == "claude-haiku-4-5"
    assert message["content"] == [{"type": "text", "text": "Hello."}]
    assert message["stop_reason"] == "end_turn"
    assert (message["usage"]["input_tokens"], message["usage"]["output_tokens"]) == (5, 2)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, "authentication_error"), (403, "permission_error"), (404, "not_found_error"),
     (429, "rate_limit_error"), (500, "api_error"), (529, "overloaded_error")],
)  # fmt: skip
def test_errors_have_anthropics_shape_and_status(standin: StandIn, status: int, kind: str) -> None:
    standin.script.push("anthropic", Reply(status=status, error="nope",
                                           headers=(("retry-after", "3"),)))  # fmt: skip
    got, headers, raw = call(standin, "/v1/messages", {"tools": [], "messages": []})
    assert got == status
    assert json.loads(raw) == {"type": "error", "error": {"type": kind, "message": "nope"}}
    assert headers["retry-after"] == "3" and headers["request-id"]
    assert standin.sent("anthropic")[-1].status == status


def test_a_sticky_error_repeats_and_side_requests_keep_the_script(standin: StandIn) -> None:
    standin.script.push("anthropic", Reply(status=500, sticky=True))
    # A request without tools (a title, a quota probe) is not a model turn.
    side, _, _ = call(standin, "/v1/messages", {"max_tokens": 1, "messages": []})
    assert side == 200
    codes = [call(standin, "/v1/messages", {"tools": [], "messages": []})[0] for _ in range(3)]
    assert codes == [500, 500, 500]


def test_an_invalid_key_is_refused_everywhere(standin: StandIn) -> None:
    bad = {**HEADERS, "x-api-key": "sk-invalid-123"}
    for path, body in (("/v1/messages", {"tools": []}), ("/v1/models", None)):
        status, _, raw = call(standin, path, body, bad)
        assert status == 401
        assert json.loads(raw)["error"]["type"] == "authentication_error"


def test_count_tokens_and_models(standin: StandIn) -> None:
    status, _, raw = call(
        standin, "/v1/messages/count_tokens", {"messages": [{"content": "x" * 400}]}
    )
    assert status == 200 and json.loads(raw)["input_tokens"] > 100
    status, _, raw = call(standin, "/v1/models?limit=1")
    ids = [m["id"] for m in json.loads(raw)["data"]]
    assert status == 200 and "claude-sonnet-4-5" in ids
    assert json.loads(call(standin, "/v1/models/claude-opus-4-5")[2])["id"] == "claude-opus-4-5"
    # Without an Anthropic header, /v1/models is left to the OpenAI stand-in.
    status, _, _ = call(standin, "/v1/models", None, {"authorization": "Bearer sk-x"})
    assert standin.sent()[-1].protocol != "anthropic"
