"""The OpenAI-compatible backend against scripted servers on loopback: Mistral, DeepSeek, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autan import (
    Agent,
    AuthenticationError,
    ContextLengthExceeded,
    ModelConnectionError,
    ModelNotFoundError,
    RateLimitError,
    ServerError,
    TextDelta,
)
from autan.messages import Message, ModelRequest
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS
from autan.models.retry_policy import RetryPolicy
from autan.tools.calculator import calculator
from fake_chat_server import FakeChatServer, Reply, completion, function_call

FAST = RetryPolicy(attempts=3, base_seconds=0.001, max_seconds=0.01)
CANARY = "sk-canary-7f3a9c1d2e"


def model(
    url: str, provider: str = "openai", key: str | None = None, **options: object
) -> OpenAIChatModel:
    return OpenAIChatModel(PROVIDERS[provider], "m", url, key, retry=FAST, **options)  # type: ignore[arg-type]


def ask(text: str = "hi") -> ModelRequest:
    return ModelRequest((Message("system", "s"), Message("user", text)))


def test_native_tool_call_then_answer() -> None:
    replies = [
        Reply(
            body=completion(
                tool_calls=[function_call("c1", "calculator", {"expression": "37 * 91"})]
            )
        ),
        Reply(body=completion("3367")),
    ]
    with FakeChatServer(replies) as server:
        result = Agent(model(server.url), tools=[calculator]).run("What is 37 * 91?")
    assert result.output == "3367"
    first, second = (r.body for r in server.requests)
    assert first["tools"][0]["function"]["name"] == "calculator"
    assert first["tool_choice"] == "auto"
    assert (
        second["messages"][2]["tool_calls"][0]["function"]["arguments"]
        == '{"expression": "37 * 91"}'
    )
    assert second["messages"][2]["content"] == ""
    assert second["messages"][3] == {"role": "tool", "content": "3367", "tool_call_id": "c1"}


# A streamed Mistral tool call, then a streamed answer, written from its API documentation.
MISTRAL_CALL_CHUNKS = [
    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    {
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "abc123XYZ",
                            "function": {"name": "calculator", "arguments": ""},
                        }
                    ]
                },
            }
        ]
    },
    {
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [{"index": 0, "function": {"arguments": '{"expression": '}}]
                },
            }
        ]
    },
    {
        "choices": [
            {
                "index": 0,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '"6 * 7"}'}}]},
                "finish_reason": "tool_calls",
            }
        ]
    },
    {
        "choices": [],
        "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42},
    },
]
MISTRAL_ANSWER_CHUNKS = [
    {"choices": [{"index": 0, "delta": {"content": "The answer "}}]},
    {"choices": [{"index": 0, "delta": {"content": "is 42."}, "finish_reason": "stop"}]},
]


def test_mistral_streamed_tool_call_deltas_are_assembled() -> None:
    replies = [
        Reply(sse=[json.dumps(c) for c in MISTRAL_CALL_CHUNKS] + ["[DONE]"]),
        Reply(sse=[json.dumps(c) for c in MISTRAL_ANSWER_CHUNKS] + ["[DONE]"]),
    ]
    with FakeChatServer(replies) as server:
        events = list(
            Agent(model(server.url, "mistral", "sk-test-0123456789"), tools=[calculator]).stream(
                "6*7?"
            )
        )
    deltas = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert deltas == "The answer is 42."
    assert server.requests[0].body["stream"] is True
    tool_message = server.requests[1].body["messages"][-1]
    assert tool_message == {
        "role": "tool",
        "content": "42",
        "tool_call_id": "abc123XYZ",
        "name": "calculator",
    }


def test_malformed_sse_line_is_skipped() -> None:
    chunks = ['{"choices": [{"index": 0, "delta": {"content": "ok"}}]}', "{not json", "[DONE]"]
    with FakeChatServer([Reply(sse=chunks)]) as server:
        pieces = list(model(server.url).stream(ask()))
    assert pieces[0] == "ok"
    assert pieces[-1].text == "ok"  # type: ignore[union-attr]


def test_deepseek_reasoning_is_separate_and_kept_on_tool_turns_only() -> None:
    usage = {
        "prompt_tokens": 50,
        "completion_tokens": 40,
        "prompt_cache_hit_tokens": 32,
        "completion_tokens_details": {"reasoning_tokens": 30},
    }
    replies = [
        Reply(
            body=completion(
                "",
                [function_call("c1", "calculator", {"expression": "2+2"})],
                "I should add.",
                usage,
            )
        ),
        Reply(body=completion("4", reasoning="2+2 is 4.", usage=usage)),
    ]
    with FakeChatServer(replies) as server:
        result = Agent(model(server.url, "deepseek", "sk-test-0123456789"), tools=[calculator]).run(
            "2+2?"
        )
    assert result.output == "4"
    assert result.usage.reasoning_tokens == 60
    assert result.usage.cached_tokens == 64
    assistant = server.requests[1].body["messages"][2]
    assert assistant["reasoning_content"] == "I should add."


def test_default_policy_drops_earlier_reasoning() -> None:
    replies = [
        Reply(
            body=completion(
                "", [function_call("c1", "calculator", {"expression": "2+2"})], "thinking"
            )
        ),
        Reply(body=completion("4")),
    ]
    with FakeChatServer(replies) as server:
        Agent(model(server.url), tools=[calculator]).run("2+2?")
    assert "reasoning_content" not in server.requests[1].body["messages"][2]


def test_policy_can_be_overridden() -> None:
    replies = [
        Reply(
            body=completion(
                "", [function_call("c1", "calculator", {"expression": "2+2"})], "thinking"
            )
        ),
        Reply(body=completion("4")),
    ]
    with FakeChatServer(replies) as server:
        Agent(model(server.url, reasoning="keep"), tools=[calculator]).run("2+2?")
    assert server.requests[1].body["messages"][2]["reasoning_content"] == "thinking"


@pytest.mark.parametrize(
    ("content", "answer", "reasoning"),
    [
        ("<think>Let me see.</think>The answer is 4.", "The answer is 4.", "Let me see."),
        ("Let me see.</think>\n\n4", "4", "Let me see."),
        ("<think>unfinished", "", "unfinished"),
        ("plain", "plain", ""),
    ],
)
def test_think_tags_in_content(content: str, answer: str, reasoning: str) -> None:
    with FakeChatServer([Reply(body=completion(content))]) as server:
        response = model(server.url).complete(ask())
    assert (response.text, response.reasoning) == (answer, reasoning)


def test_401_is_not_retried() -> None:
    replies = [Reply(401, {"error": {"message": "Invalid API key"}})] * 3
    with FakeChatServer(replies) as server, pytest.raises(AuthenticationError, match="Invalid API"):
        model(server.url, key="sk-test-0123456789").complete(ask())
    assert len(server.requests) == 1


def test_429_with_retry_after_then_success() -> None:
    replies = [
        Reply(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "0"}),
        Reply(body=completion("ok")),
    ]
    with FakeChatServer(replies) as server:
        assert model(server.url).complete(ask()).text == "ok"
    assert len(server.requests) == 2


def test_429_until_retries_run_out() -> None:
    with (
        FakeChatServer([Reply(429, {"error": "busy"}, headers={"Retry-After": "0"})] * 3) as server,
        pytest.raises(RateLimitError),
    ):
        model(server.url).complete(ask())
    assert len(server.requests) == 3


def test_500_then_success() -> None:
    with FakeChatServer([Reply(500, {"error": "oops"}), Reply(body=completion("ok"))]) as server:
        assert model(server.url).complete(ask()).text == "ok"


def test_500_until_retries_run_out() -> None:
    with FakeChatServer([Reply(503, {"error": "down"})] * 3) as server, pytest.raises(ServerError):
        model(server.url).complete(ask())


def test_context_length_error() -> None:
    body = {
        "error": {
            "message": "This model's maximum context length is 4096 tokens.",
            "code": "context_length_exceeded",
        }
    }
    with FakeChatServer([Reply(400, body)]) as server, pytest.raises(ContextLengthExceeded):
        model(server.url).complete(ask())
    assert len(server.requests) == 1


def test_model_not_found() -> None:
    replies = [Reply(404, {"error": {"message": "model 'm' not found"}})]
    with FakeChatServer(replies) as server, pytest.raises(ModelNotFoundError):
        model(server.url).complete(ask())


def test_unreachable_server_is_a_connection_error() -> None:
    with FakeChatServer([]) as server:
        url = server.url
    with pytest.raises(ModelConnectionError):
        model(url).complete(ask())


def test_async_complete() -> None:
    import asyncio

    with FakeChatServer([Reply(500, {"error": "x"}), Reply(body=completion("ok"))]) as server:
        assert asyncio.run(model(server.url).acomplete(ask())).text == "ok"


def test_canary_key_never_leaks(tmp_path: object) -> None:
    replies = [Reply(401, echo_authorization=True)]
    with FakeChatServer(replies) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "autan",
                "run",
                "hi",
                "--json",
                "--model",
                f"openai:m@{server.url}",
            ],
            capture_output=True,
            text=True,
            env={
                "OPENAI_API_KEY": CANARY,
                "PATH": "/usr/bin:/bin",
                "XDG_CACHE_HOME": str(tmp_path),
            },
            timeout=60,
        )
    assert server.requests[0].headers["Authorization"] == f"Bearer {CANARY}"
    assert done.returncode == 1
    assert "Invalid" not in done.stderr
    assert "bad key Bearer ***" in done.stdout + done.stderr
    assert CANARY not in done.stdout + done.stderr
    assert CANARY not in repr(model("http://127.0.0.1:1/v1", key=CANARY))


def test_cli_show_reasoning_goes_to_stderr_only() -> None:
    replies = [Reply(body=completion("42", reasoning="six times seven"))]
    with FakeChatServer(replies) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "autan",
                "run",
                "6*7?",
                "--show-reasoning",
                "--model",
                f"deepseek:deepseek-reasoner@{server.url}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={"DEEPSEEK_API_KEY": "sk-test-0123456789", "PATH": "/usr/bin:/bin"},
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "42"
    assert "six times seven" in done.stderr
    assert "six times seven" not in done.stdout


def test_missing_provider_key_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autan", "run", "hi", "--model", "mistral:mistral-small-latest"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "autan: error: mistral needs an API key: set MISTRAL_API_KEY"


def long_request(characters: int) -> ModelRequest:
    return ModelRequest((Message("system", "s"), Message("user", "x" * characters)), max_tokens=50)


def test_window_from_the_server_listing_refuses_before_sending() -> None:
    listing = {"object": "list", "data": [{"id": "m", "object": "model", "max_model_len": 200}]}
    with FakeChatServer([Reply(body=completion("ok"))], models=listing) as server:
        backend = model(server.url)
        with pytest.raises(ContextLengthExceeded, match="200-token context window"):
            backend.complete(long_request(2_000))
        assert server.requests == []
        assert backend.complete(long_request(100)).text == "ok"


def test_window_given_explicitly_and_from_the_table() -> None:
    with FakeChatServer([]) as server:
        with pytest.raises(ContextLengthExceeded):
            model(server.url, context_window=100).complete(long_request(1_000))
        deepseek = OpenAIChatModel(
            PROVIDERS["deepseek"], "deepseek-chat", server.url, "sk-x-123456"
        )
        assert deepseek.context_window() == 65_536


def test_unknown_window_sends_anyway() -> None:
    with FakeChatServer([Reply(body=completion("ok"))]) as server:
        assert model(server.url).complete(long_request(50_000)).text == "ok"


def test_text_protocol_round_trip() -> None:
    call = '<tool_call>{"name": "calculator", "arguments": {"expression": "6 * 7"}}</tool_call>'
    replies = [Reply(body=completion(f"Let me compute.\n{call}")), Reply(body=completion("42"))]
    with FakeChatServer(replies) as server:
        agent = Agent(model(server.url, tool_protocol="text"), tools=[calculator])
        result = agent.run("6*7?")
    assert result.output == "42"
    first, second = (r.body for r in server.requests)
    assert "tools" not in first
    assert "<tools>" in first["messages"][0]["content"]
    assert '"name": "calculator"' in first["messages"][0]["content"]
    assert second["messages"][2]["content"].endswith(
        '<tool_call>{"name": "calculator", "arguments": {"expression": "6 * 7"}}</tool_call>'
    )
    assert second["messages"][3] == {"role": "user", "content": "<tool_response>42</tool_response>"}


def test_text_protocol_unreadable_call_is_reported_to_the_model() -> None:
    replies = [
        Reply(body=completion("<tool_call>oops</tool_call>")),
        Reply(body=completion("sorry")),
    ]
    with FakeChatServer(replies) as server:
        result = Agent(model(server.url, tool_protocol="text"), tools=[calculator]).run("6*7?")
    assert result.output == "sorry"
    observation = server.requests[1].body["messages"][-1]["content"]
    assert "unparsable tool call" in observation
    assert "valid tools: calculator" in observation


def test_cost_is_on_events_and_result() -> None:
    from autan.pricing import Price

    usage = {"prompt_tokens": 1000, "completion_tokens": 100, "prompt_cache_hit_tokens": 400}
    replies = [Reply(body=completion("ok", usage=usage))]
    with FakeChatServer(replies) as server:
        priced = OpenAIChatModel(
            PROVIDERS["deepseek"],
            "deepseek-chat",
            server.url,
            "sk-x-123456",
            retry=FAST,
            price=Price(1.0, 0.1, 2.0),
        )
        result = Agent(priced).run("hi")
    assert result.cost_usd == pytest.approx((600 * 1.0 + 400 * 0.1 + 100 * 2.0) / 1_000_000)


def test_astream_streams_natively_and_assembles_the_same_response() -> None:
    import asyncio

    async def pieces() -> list[object]:
        return [piece async for piece in model(server.url).astream(ask())]

    chunks = [json.dumps(c) for c in MISTRAL_ANSWER_CHUNKS] + ["[DONE]"]
    with FakeChatServer([Reply(sse=chunks), Reply(sse=chunks)]) as server:
        streamed = list(model(server.url).stream(ask()))
        astreamed = asyncio.run(pieces())
    assert astreamed[:-1] == ["The answer ", "is 42."] == streamed[:-1]
    assert astreamed[-1].text == streamed[-1].text == "The answer is 42."  # type: ignore[union-attr]
    assert all(request.body["stream"] is True for request in server.requests)


def test_an_http_error_names_the_server_and_a_404_says_what_to_check() -> None:
    replies = [Reply(404, {"error": {"message": "Not Found"}})]
    with FakeChatServer(replies) as server, pytest.raises(ModelNotFoundError) as raised:
        model(server.url).complete(ask())
    message = str(raised.value)
    assert f"at {server.url}" in message
    assert "HTTP 404" in message
    assert "/v1" in message
