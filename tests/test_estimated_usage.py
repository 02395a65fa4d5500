"""A server that reports no usage (llama-cpp-python's when streaming): autan counts the tokens
itself, marks them estimated, and a token budget still holds."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from autan import Agent, Limits, RunResult, SQLiteStore
from autan.events import Event, ModelResponded, RunFailed
from autan.messages import ModelResponse, Usage
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS
from autan.models.usage_estimate import estimate_prompt_tokens
from autan.tools.calculator import calculator
from fake_chat_server import FakeChatServer, Reply, completion, function_call

NATIVE = ("--tool-protocol", "native")


def chunk(delta: dict[str, object], finish: str | None = None) -> str:
    """One streamed chunk, with no ``usage`` (as llama-cpp-python's server sends them)."""
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps({"id": "c", "object": "chat.completion.chunk", "choices": [choice]})


def answer(text: str) -> Reply:
    return Reply(sse=[chunk({"role": "assistant"}), chunk({"content": text}, "stop"), "[DONE]"])


def call(expression: str) -> Reply:
    raw = function_call("c1", "calculator", {"expression": expression})
    delta = {"tool_calls": [{"index": 0, **raw}]}
    return Reply(sse=[chunk(delta, "tool_calls"), "[DONE]"])


def model(url: str) -> OpenAIChatModel:
    return OpenAIChatModel(PROVIDERS["openai"], "m", url)


def streamed(agent: Agent, task: str) -> RunResult:
    """The run streamed (``Agent.run`` asks for whole replies; a CLI on a terminal streams)."""
    return RunResult(None, tuple(agent.stream(task)), 0.0)


def test_streamed_reply_without_usage_is_counted_and_marked_estimated() -> None:
    text = "The answer is 3367, which is 37 times 91."
    with FakeChatServer([answer(text)]) as server:
        result = streamed(Agent(model(server.url)), "What is 37 * 91?")
    sent = server.requests[0].body
    assert sent["stream"] is True
    assert result.usage.estimated is True
    assert result.usage.prompt_tokens == estimate_prompt_tokens(sent) > 0
    assert result.usage.completion_tokens == math.ceil(len(text.encode()) / 4)
    assert result.usage.total_tokens > 0


def test_non_streamed_reply_without_usage_is_estimated_too() -> None:
    body = completion("42")
    del body["usage"]
    with FakeChatServer([Reply(body=body)]) as server:
        response = model(server.url).complete(_request())
    assert response.usage.estimated is True
    assert response.usage.prompt_tokens > 0
    assert response.usage.completion_tokens == 1


def test_astream_reply_without_usage_is_estimated_too() -> None:
    import asyncio

    async def last() -> object:
        return [piece async for piece in model(server.url).astream(_request())][-1]

    with FakeChatServer([answer("42")]) as server:
        response = asyncio.run(last())
    assert isinstance(response, ModelResponse)
    assert response.usage.estimated is True
    assert response.usage.completion_tokens == 1


def test_reported_usage_is_kept_as_reported() -> None:
    with FakeChatServer([Reply(body=completion("42"))]) as server:
        response = model(server.url).complete(_request())
    assert response.usage == Usage(20, 5)
    assert response.usage.estimated is False


def test_token_budget_holds_when_the_server_reports_no_usage() -> None:
    replies = [call("37 * 91")] * 5 + [answer("3367")]
    with FakeChatServer(replies) as server:
        agent = Agent(model(server.url), tools=[calculator], limits=Limits(max_total_tokens=50))
        result = streamed(agent, "What is 37 * 91?")
    failed = result.events[-1]
    assert isinstance(failed, RunFailed)
    assert failed.error == "LimitExceeded"
    assert "max_total_tokens" in failed.message
    assert len(server.requests) == 1
    assert result.usage.estimated is True


def test_a_sum_is_estimated_if_any_part_is() -> None:
    assert (Usage(1, 2) + Usage(3, 4, estimated=True)).estimated is True
    assert (Usage(3, 4, estimated=True) + Usage(1, 2)).estimated is True
    assert (Usage(1, 2) + Usage(3, 4)).estimated is False


def test_estimated_usage_is_journaled_and_read_back(tmp_path: Path) -> None:
    event = ModelResponded(1, "hi", (), Usage(10, 2, estimated=True), 0.1)
    assert Event.from_dict(json.loads(json.dumps(event.to_dict()))) == event
    older = event.to_dict()
    del older["usage"]["estimated"]  # written before the field existed
    assert Event.from_dict(older).usage.estimated is False  # type: ignore[attr-defined]
    with FakeChatServer([answer("42")]) as server, SQLiteStore(tmp_path / "j.sqlite3") as store:
        list(Agent(model(server.url), store=store).stream("6*7?"))
        loaded = store.load(store.runs()[0].run_id)
    responded = [e for e in loaded if isinstance(e, ModelResponded)]
    assert responded[0].usage.estimated is True


def test_cli_summary_says_the_tokens_are_estimated() -> None:
    with FakeChatServer([answer("42")]) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "autan",
                "run",
                "6*7?",
                "--model",
                f"openai:m@{server.url}",
                *NATIVE,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "OPENAI_API_KEY": "sk-test-0123456789"},
        )
    assert done.returncode == 0, done.stderr
    summary = [line for line in done.stderr.splitlines() if line.startswith("steps ")]
    assert summary, done.stderr
    assert "(estimated)" in summary[-1]


def _request() -> object:
    from autan.messages import Message, ModelRequest

    return ModelRequest((Message("system", "s"), Message("user", "6*7?")))
