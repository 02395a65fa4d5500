"""MCP over HTTP: the SDK-written test server on loopback, by streamable HTTP and by SSE."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from autan import Agent, MCPServerError, ToolResulted, mcp_tools
from autan.testing import ScriptedModel
from mcp_helpers import TEST_SERVER, free_port, wait_for_port


@pytest.fixture(params=["http", "sse"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    transport = str(request.param)
    process = subprocess.Popen(
        [sys.executable, str(TEST_SERVER), "tools", transport, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/" + ("mcp" if transport == "http" else "sse")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_tools_over_http_and_sse(url: str) -> None:
    model = ScriptedModel([("add", {"a": 40, "b": 2}), ("fail", {}), "done"])
    with mcp_tools(url) as tools, Agent(model, tools) as agent:
        added, failed = [e for e in agent.run("add").events if isinstance(e, ToolResulted)]
    assert tools.connections[0].server.transport == ("sse" if url.endswith("/sse") else "http")
    assert added.output == '{"result":42}'
    assert failed.is_error


def test_a_url_where_nothing_listens_is_one_clear_error() -> None:
    port = free_port()
    with pytest.raises(MCPServerError) as failed:
        mcp_tools(f"http://127.0.0.1:{port}/mcp", connect_timeout=5)
    assert str(failed.value).startswith("MCP server '127_0_0_1' failed to start: ")
