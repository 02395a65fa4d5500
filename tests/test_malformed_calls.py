"""A tool call from a server whose name is not a string (an array, an object), or which is not an
object at all, is an invalid call the model reads and can correct: never a crash of the run.
Native replies, streamed and not, and the constrained protocol's JSON, against a real server on
loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from autan import Agent
from autan.events import ToolResulted
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS
from autan.models.retry_policy import RetryPolicy
from autan.tools.calculator import calculator
from fake_chat_server import FakeChatServer, Reply, completion

FAST = RetryPolicy(attempts=1, base_seconds=0.001, max_seconds=0.01)


def model(url: str, protocol: str = "native") -> OpenAIChatModel:
    return OpenAIChatModel(PROVIDERS["openai"], "m", url, retry=FAST, tool_protocol=protocol)  # type: ignore[arg-type]


def read_by_the_model(server: FakeChatServer) -> str:
    """What the second request showed the model about its first reply's call."""
    return str(server.requests[1].body["messages"][-1]["content"])


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        ({"id": "c1", "function": {"name": ["calculator"], "arguments": "{}"}}, "not an array"),
        ({"id": "c1", "function": {"name": {"n": "x"}, "arguments": "{}"}}, "not an object"),
        ({"id": "c1", "function": ["calculator"]}, "must be an object, not an array"),
        ("calculator", "must be an object, not a string"),
    ],
)
def test_a_native_call_that_is_malformed_is_an_invalid_call_the_model_reads(
    call: Any, problem: str
) -> None:
    first = completion()
    first["choices"][0]["message"]["tool_calls"] = [call]
    replies = [Reply(body=first), Reply(body=completion("sorry"))]
    with FakeChatServer(replies) as server:
        result = Agent(model(server.url), tools=[calculator]).run("6*7?")
    assert result.output == "sorry"
    assert problem in read_by_the_model(server)
    assert "valid tools: calculator" in read_by_the_model(server)
    results = [e for e in result.events if isinstance(e, ToolResulted)]
    assert [e.is_error for e in results] == [True]


def chunk(tool_call: Any) -> str:
    return json.dumps({"choices": [{"index": 0, "delta": {"tool_calls": [tool_call]}}]})


@pytest.mark.parametrize(
    "pieces",
    [
        [{"index": 0, "id": "c1", "function": {"name": ["calculator"]}}],
        [
            {"index": 0, "id": "c1", "function": {"name": "calc"}},
            {"index": 0, "function": {"name": {"rest": "ulator"}, "arguments": "{}"}},
        ],
        [{"index": "zero", "id": "c1", "function": {"name": ["calculator"], "arguments": {}}}],
    ],
)
def test_a_streamed_call_whose_name_is_not_a_string_is_an_invalid_call(
    pieces: list[Any],
) -> None:
    answer = json.dumps({"choices": [{"index": 0, "delta": {"content": "sorry"}}]})
    replies = [
        Reply(sse=[chunk(piece) for piece in pieces] + ["[DONE]"]),
        Reply(sse=[answer, "[DONE]"]),
    ]
    with FakeChatServer(replies) as server:
        events = list(Agent(model(server.url), tools=[calculator]).stream("6*7?"))
    assert "must be a string" in read_by_the_model(server)
    results = [e for e in events if isinstance(e, ToolResulted)]
    assert [e.is_error for e in results] == [True]


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ({"tool": ["calculator"], "arguments": {"expression": "6*7"}}, "must be a string"),
        ({"tool": "calculator", "arguments": ["6*7"]}, "are not a JSON object"),
    ],
)
def test_a_constrained_reply_with_a_malformed_call_is_an_invalid_call(
    reply: dict[str, Any], problem: str
) -> None:
    replies = [
        Reply(body=completion(json.dumps(reply))),
        Reply(body=completion('{"result": "sorry"}')),
    ]
    with FakeChatServer(replies) as server:
        result = Agent(model(server.url, "constrained"), tools=[calculator]).run("6*7?")
    assert result.output == "sorry"
    assert problem in read_by_the_model(server)
