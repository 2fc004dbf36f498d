"""The stand-in's OpenAI chat completions over real HTTP on 127.0.0.1 (what copilot's
BYOK provider and opencode's OpenAI-compatible provider call in the contract suite)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from convergio_tui.sim.standin import Reply, StandIn, ToolCall, serve_standin
from convergio_tui.sim.standin.openai_api import INVALID_KEY_PREFIX, model_requests


def post(standin: StandIn, path: str, body: dict[str, Any], key: str = "sk-test") -> tuple[int, bytes]:  # fmt: skip
    """POST ``body`` as JSON; the status and the raw answer."""
    request = urllib.request.Request(
        standin.url + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def chunks(raw: bytes) -> list[Any]:
    """The ``data:`` payloads of a server-sent event stream."""
    found = []
    for line in raw.decode().splitlines():
        if line.startswith("data: "):
            payload = line[6:]
            found.append(payload if payload == "[DONE]" else json.loads(payload))
    return found


@pytest.fixture
def standin() -> Any:
    """The stand-in on a free port."""
    with serve_standin(models=["gpt-5"]) as server:
        yield server


CHAT = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}


def test_a_streamed_answer_has_deltas_a_finish_reason_and_the_usage_asked_for(
    standin: StandIn,
) -> None:
    standin.script.push("openai", Reply(text="Hello there", input_tokens=11, output_tokens=3))
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    status, raw = post(standin, "/v1/chat/completions", body)
    events = chunks(raw)
    assert status == 200 and events[-1] == "[DONE]"
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events[:-1] if e["choices"])
    assert text == "Hello there"
    assert [e["choices"][0]["finish_reason"] for e in events[:-2]][-1] == "stop"
    assert events[-2]["usage"] == {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
    assert model_requests(standin) == [body]


def test_tool_calls_stream_as_deltas_and_answer_whole_without_stream(standin: StandIn) -> None:
    call = ToolCall("write", {"filePath": "a.txt", "content": "x"})
    standin.script.push(
        "openai", Reply(text="", tool_calls=(call,)), Reply(text="", tool_calls=(call,))
    )
    _, raw = post(standin, "/chat/completions", {**CHAT, "stream": True})
    events = chunks(raw)
    deltas = [e["choices"][0]["delta"] for e in events[:-1]]
    (streamed,) = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert streamed["function"] == {"name": "write", "arguments": json.dumps(call.arguments)}
    assert events[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert "usage" not in events[-2]  # not asked for
    status, raw = post(standin, "/v1/chat/completions", CHAT)
    whole = json.loads(raw)
    assert status == 200 and whole["choices"][0]["finish_reason"] == "tool_calls"
    assert whole["choices"][0]["message"]["tool_calls"][0]["id"] == "call_1"
    assert whole["usage"]["prompt_tokens"] == 120


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500])
def test_errors_have_openais_shape_and_a_sticky_one_repeats(standin: StandIn, status: int) -> None:
    headers = (("retry-after", "0"),)
    standin.script.push("openai", Reply(status=status, error="nope", headers=headers, sticky=True))
    for _ in range(2):
        got, raw = post(standin, "/v1/chat/completions", CHAT)
        error = json.loads(raw)["error"]
        assert got == status and error["message"] == "nope"
        assert set(error) == {"message", "type", "param", "code"}


def test_an_invalid_key_is_refused_and_the_title_request_is_answered_apart(
    standin: StandIn,
) -> None:
    status, raw = post(standin, "/v1/chat/completions", CHAT, key=INVALID_KEY_PREFIX + "-1")
    assert status == 401 and json.loads(raw)["error"]["code"] == "invalid_api_key"
    standin.script.push("openai", Reply(text="the task's answer"))
    title = {"model": "gpt-5", "messages": [
        {"role": "system", "content": "You are a title generator. You output ONLY a title."},
        {"role": "user", "content": "hi"}]}  # fmt: skip
    _, raw = post(standin, "/v1/chat/completions", title)
    assert json.loads(raw)["choices"][0]["message"]["content"] == "Convergio task"
    _, raw = post(standin, "/v1/chat/completions", CHAT)
    assert json.loads(raw)["choices"][0]["message"]["content"] == "the task's answer"
    assert model_requests(standin) == [CHAT, CHAT]  # the title request left out


def test_the_model_list(standin: StandIn) -> None:
    with urllib.request.urlopen(standin.url + "/v1/models", timeout=10) as answer:
        listed = json.loads(answer.read())
    assert [m["id"] for m in listed["data"]] == ["gpt-5"] and listed["object"] == "list"
