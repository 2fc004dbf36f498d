"""The stand-in's Gemini API, spoken to over real HTTP on 127.0.0.1: the shapes the real
gemini reads (tests/contract/ runs the real CLI against it)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from convergio_tui.sim.standin import Reply, StandIn, ToolCall, serve_standin

HEADERS = {"content-type": "application/json", "x-goog-api-key": "fake-key"}
MODEL = "gemini-2.5-pro"
TOOLS = [{"functionDeclarations": [{"name": "write_file"}]}]
TURN = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "tools": TOOLS}


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """The stand-in on a free port."""
    with serve_standin() as server:
        yield server


def call(standin: StandIn, path: str,
         body: dict[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    """One request; the status, headers and raw body (an HTTP error too)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(standin.url + path, data=data, headers=HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def chunks(raw: bytes) -> list[dict[str, Any]]:
    """The ``data:`` documents of a server-sent event stream."""
    return [json.loads(block.removeprefix("data: ")) for block in raw.decode().split("\n\n")
            if block.startswith("data: ")]  # fmt: skip


def stream_path(model: str = MODEL) -> str:
    """The streaming path the CLI posts a turn to."""
    return f"/v1beta/models/{model}:streamGenerateContent?alt=sse"


def test_a_streamed_reply_is_text_then_calls_then_usage(standin: StandIn) -> None:
    write = ToolCall("write_file", {"file_path": "/w/a.txt", "content": "é"})
    standin.script.push("gemini", Reply(text="Writing it.", tool_calls=(write,),
                                        input_tokens=11, output_tokens=7))  # fmt: skip
    status, headers, raw = call(standin, stream_path(), TURN)
    assert status == 200 and headers["Content-Type"] == "text/event-stream"
    docs = chunks(raw)
    parts = [p for d in docs for p in d["candidates"][0]["content"]["parts"]]
    assert "".join(p.get("text", "") for p in parts) == "Writing it."
    assert len([p for p in parts if p.get("text")]) == 2  # the CLI must join the pieces
    calls = [p["functionCall"] for p in parts if "functionCall" in p]
    assert calls == [{"name": "write_file", "args": {"file_path": "/w/a.txt", "content": "é"}}]
    assert [d["candidates"][0].get("finishReason") for d in docs][-1] == "STOP"
    assert "usageMetadata" not in docs[0]
    assert docs[-1]["usageMetadata"] == {"promptTokenCount": 11, "candidatesTokenCount": 7,
                                         "totalTokenCount": 18}  # fmt: skip
    assert standin.sent("gemini")[0].headers["x-goog-api-key"] == "fake-key"


def test_a_whole_reply_is_one_document(standin: StandIn) -> None:
    standin.script.push("gemini", Reply(text="All at once.", input_tokens=3, output_tokens=4))
    status, _, raw = call(standin, f"/v1beta/models/{MODEL}:generateContent", TURN)
    doc = json.loads(raw)
    assert status == 200
    assert doc["candidates"][0]["content"] == {"role": "model",
                                               "parts": [{"text": "All at once."}]}  # fmt: skip
    assert doc["usageMetadata"]["totalTokenCount"] == 7


def test_side_requests_without_tools_leave_the_script_alone(standin: StandIn) -> None:
    standin.script.push("gemini", Reply(text="the real turn"))
    side = {"contents": TURN["contents"]}
    _, _, raw = call(standin, f"/v1beta/models/{MODEL}:generateContent", side)
    assert json.loads(raw)["candidates"][0]["content"]["parts"] == [{"text": "Done."}]
    _, _, raw = call(standin, stream_path(), TURN)
    assert "".join(p.get("text", "") for d in chunks(raw)
                   for p in d["candidates"][0]["content"]["parts"]) == "the real turn"  # fmt: skip


@pytest.mark.parametrize(
    ("status", "error_type", "google_status", "reason"),
    [
        (400, "API_KEY_INVALID", "INVALID_ARGUMENT", "API_KEY_INVALID"),
        (401, "", "UNAUTHENTICATED", None),
        (403, "", "PERMISSION_DENIED", None),
        (404, "", "NOT_FOUND", None),
        (429, "", "RESOURCE_EXHAUSTED", None),
        (500, "", "INTERNAL", None),
        (503, "UNAVAILABLE", "UNAVAILABLE", None),
    ],
)
def test_errors_are_in_googles_shape(
    standin: StandIn, status: int, error_type: str, google_status: str, reason: str | None
) -> None:
    standin.script.push("gemini", Reply(status=status, error="nope", error_type=error_type,
                                        headers=(("retry-after", "3"),)))  # fmt: skip
    code, headers, raw = call(standin, stream_path(), TURN)
    error = json.loads(raw)["error"]
    assert code == status and headers["retry-after"] == "3"
    assert (error["code"], error["message"], error["status"]) == (status, "nope", google_status)
    details = error.get("details", [])
    assert [d["reason"] for d in details] == ([reason] if reason else [])
    assert all(d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo" for d in details)


def test_a_sticky_error_answers_every_attempt(standin: StandIn) -> None:
    standin.script.push("gemini", Reply(status=429, error="slow down", sticky=True))
    assert [call(standin, stream_path(), TURN)[0] for _ in range(3)] == [429, 429, 429]


def test_count_tokens_and_the_model_list(standin: StandIn) -> None:
    status, _, raw = call(standin, f"/v1beta/models/{MODEL}:countTokens", TURN)
    assert status == 200 and json.loads(raw)["totalTokens"] > 0
    _, _, raw = call(standin, "/v1beta/models")
    names = [m["name"] for m in json.loads(raw)["models"]]
    assert f"models/{MODEL}" in names and "models/gemini-2.5-flash" in names
    status, _, raw = call(standin, f"/v1beta/models/{MODEL}")
    assert status == 200 and json.loads(raw)["name"] == f"models/{MODEL}"
    status, _, raw = call(standin, "/v1beta/models/gemini-0-nonexistent")
    assert status == 404 and json.loads(raw)["error"]["status"] == "NOT_FOUND"
    assert standin.script.next("gemini").text == "Done."  # none of these used the script


def test_other_paths_are_not_gemini(standin: StandIn) -> None:
    status, _, _ = call(standin, "/v1beta/tunedModels")
    assert status == 404
    assert [r.protocol for r in standin.sent()] == ["unknown"]
