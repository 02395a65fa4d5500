"""``autan mcp serve``: driven by the official SDK's client over stdio and streamable HTTP, and
by autan's own client (an agent that uses another agent as an MCP tool)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from autan import Agent, ToolResulted, mcp_tools
from autan.mcp import MCPServer
from autan.testing import ScriptedModel
from fake_chat_server import FakeChatServer, Reply, completion, function_call
from mcp_helpers import free_port, wait_for_port

SRC = Path(__file__).resolve().parent.parent / "src"
CALC = function_call("c1", "calculator", {"expression": "37 * 91"})


def replies() -> list[Reply]:
    return [Reply(body=completion(tool_calls=[CALC])), Reply(body=completion("3367"))]


def serve_command(url: str, journal: Path, *extra: str) -> list[str]:
    model = f"openai:m@{url}"
    return [
        *(sys.executable, "-m", "autan", "mcp", "serve", "--model", model),
        *("--tool-protocol", "native", "--store", str(journal), "--workspace", str(journal.parent)),
        *extra,
    ]


def environment() -> dict[str, str]:
    return {"PYTHONPATH": str(SRC), "OPENAI_API_KEY": "sk-test", "PATH": os.environ["PATH"]}


async def drive(session: Any) -> tuple[Any, list[tuple[float, str | None]], Any, Any]:
    """Initialize, list, run one task with progress, read both resources."""
    from mcp.types import PaginatedRequestParams

    await session.initialize()
    listed = await session.list_tools(params=PaginatedRequestParams())
    assert [t.name for t in listed.tools] == ["run_task"]
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    result = await session.call_tool(
        "run_task", {"task": "What is 37 * 91?"}, progress_callback=on_progress
    )
    runs = await session.read_resource("autan://runs")
    run_id = result.structured_content["run_id"]
    journal = await session.read_resource(f"autan://runs/{run_id}")
    return result, progress, runs, journal


def check(result: Any, progress: list[tuple[float, str | None]], runs: Any, journal: Any) -> None:
    assert not result.is_error
    assert result.structured_content["answer"] == "3367"
    run_id = result.structured_content["run_id"]
    assert progress == [
        (1, "step 1: calls calculator"),
        (1, "step 1: calculator answered"),
        (2, "step 2: answers"),
    ]
    (listed,) = json.loads(runs.contents[0].text)
    assert listed == {"run_id": run_id, "status": "completed", "task": "What is 37 * 91?"}
    lines = [json.loads(line) for line in journal.contents[0].text.splitlines()]
    assert lines[0]["type"] == "run"
    assert lines[-1]["type"] == "final_answer"
    assert lines[-1]["output"] == "3367"


def test_the_sdk_client_over_stdio(tmp_path: Path) -> None:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    async def main(url: str) -> tuple[Any, ...]:
        command, *args = serve_command(url, tmp_path / "journal.sqlite3")
        parameters = StdioServerParameters(command=command, args=args, env=environment())
        # The SDK's default errlog is the sys.stderr of when it was imported, which under pytest
        # may be a capture that has no descriptor: give the server's stderr a real file.
        with (tmp_path / "server.stderr").open("w") as errlog:
            client = stdio_client(parameters, errlog=errlog)
            async with client as streams, ClientSession(*streams) as session:
                return await drive(session)

    with FakeChatServer(replies()) as chat:
        check(*asyncio.run(main(chat.url)))


def test_the_sdk_client_over_streamable_http(tmp_path: Path) -> None:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()

    async def main() -> tuple[Any, ...]:
        async with (
            streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write, *_),
            ClientSession(read, write) as session,
        ):
            return await drive(session)

    with FakeChatServer(replies()) as chat:
        command = serve_command(chat.url, tmp_path / "j.sqlite3", "--transport", "http")
        command += ["--port", str(port)]
        server = subprocess.Popen(
            command, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for_port(port, server)
            check(*asyncio.run(main()))
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_an_agent_uses_another_agent_as_an_mcp_tool(tmp_path: Path) -> None:
    with FakeChatServer(replies()) as chat:
        command = serve_command(chat.url, tmp_path / "journal.sqlite3")
        served = MCPServer("helper", command=tuple(command), env=environment())
        model = ScriptedModel([("run_task", {"task": "What is 37 * 91?"}), "3367"])
        with mcp_tools(served) as tools, Agent(model, tools) as agent:
            run = agent.run("Ask the helper what 37 * 91 is.")
    (result,) = [e for e in run.events if isinstance(e, ToolResulted)]
    assert json.loads(result.output)["answer"] == "3367"
    assert run.output == "3367"
    assert tools[0].name == "run_task"
    assert not tools[0].read_only
