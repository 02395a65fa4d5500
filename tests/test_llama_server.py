"""The HTTP backend against a real OpenAI-compatible server: llama-cpp-python's, on loopback,
serving the embedded GGUF. Its tool calling is broken (see docs), so tool runs use the
``constrained`` protocol; plain chat uses ``native``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel

from autan import Agent, FinalAnswer, Limits, RunResult, TextDelta, ToolCalled, load_model
from autan.events import RunFailed
from autan.messages import Message, ModelRequest
from autan.models.embedded import default_gguf_path
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS
from autan.tools.builtin import builtin_tools

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    pytest.importorskip("llama_cpp.server")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(default_gguf_path()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("llama-cpp-python server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_tool_call_and_final_answer_non_streaming(server_url: str, tmp_path: Path) -> None:
    model = load_model(f"openai:smollm2@{server_url}", tool_protocol="constrained")
    result = Agent(model, tools=builtin_tools(tmp_path)).run("What is 37 * 91?")
    calls = [e.call for e in result.events if isinstance(e, ToolCalled)]
    assert calls[0].name == "calculator"
    assert calls[0].arguments["expression"].replace(" ", "") == "37*91"
    assert result.output
    assert result.usage.prompt_tokens > 0


def test_tool_call_and_final_answer_streaming(server_url: str, tmp_path: Path) -> None:
    model = load_model(f"openai:smollm2@{server_url}", tool_protocol="constrained")
    events = list(Agent(model, tools=builtin_tools(tmp_path)).stream("What is 12 * 12?"))
    assert any(isinstance(e, ToolCalled) and e.call.name == "calculator" for e in events)
    assert isinstance(events[-1], FinalAnswer)
    assert events[-1].output


def test_streamed_tokens_are_counted_and_the_token_budget_holds(
    server_url: str, tmp_path: Path
) -> None:
    """The server sends no usage when streaming: autan counts, and ``max_total_tokens`` stops."""
    model = load_model(f"openai:smollm2@{server_url}", tool_protocol="constrained")
    agent = Agent(model, tools=builtin_tools(tmp_path), limits=Limits(max_total_tokens=50))
    events = list(agent.stream("What is 37 * 91?"))
    assert RunResult(None, tuple(events), 0.0).usage.total_tokens > 0
    assert isinstance(events[-1], RunFailed)
    assert events[-1].error == "LimitExceeded"


def test_probe_picks_constrained_for_the_stock_server(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model = load_model(f"openai:smollm2@{server_url}")
    assert model.tool_protocol == "constrained"  # type: ignore[attr-defined]


def test_plain_chat_streams_text(server_url: str) -> None:
    model = load_model(f"openai:smollm2@{server_url}", tool_protocol="native")
    request = ModelRequest(
        (Message("system", "Be brief."), Message("user", "Say hello.")), max_tokens=16
    )
    pieces = list(model.stream(request))
    *texts, final = pieces
    assert texts
    assert "".join(str(t) for t in texts) == final.text  # type: ignore[union-attr]


def test_agent_stream_yields_text_deltas(server_url: str) -> None:
    agent = Agent(load_model(f"openai:smollm2@{server_url}", tool_protocol="native"))
    events = list(agent.stream("Say hello."))
    assert any(isinstance(e, TextDelta) for e in events)
    assert isinstance(events[-1], FinalAnswer)


class Person(BaseModel):
    name: str
    age: int


def test_a_typed_answer_through_the_answer_tool_on_a_real_server(server_url: str) -> None:
    """The stock server grammar-constrains a named ``tool_choice`` to the tool's parameters:
    the answer tool's call is a ``Person`` by construction."""
    model = OpenAIChatModel(
        PROVIDERS["openai"], "smollm2", server_url, None, "native", answer_tool=True
    )
    result = Agent(model, output_type=Person).run("Ann is 31 years old. Who is she?")
    assert isinstance(result.output, Person)
    assert result.tool_calls == 0


def test_a_non_object_typed_answer_on_a_real_server(server_url: str) -> None:
    """``list[int]`` has an array at its root: sent as ``{"result": [...]}`` (the stock server
    takes ``response_format`` as OpenAI does, or refuses it and gets the answer tool)."""
    model = load_model(f"openai:smollm2@{server_url}", tool_protocol="native")
    result = Agent(model, output_type=list[int]).run("List the numbers 1, 2 and 3.")
    assert isinstance(result.output, list)
    assert all(isinstance(n, int) for n in result.output)
