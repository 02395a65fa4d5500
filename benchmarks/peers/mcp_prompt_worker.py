"""The first request a peer framework sends with an MCP server's tools, through the peer's own
MCP client, inside that peer's virtual environment.

    PYTHON mcp_prompt_worker.py PEER OUT_JSON COMMAND [ARG...]

``PEER``: pydantic_ai, openai_agents, smolagents or agno. The peer connects to the stdio server
``COMMAND ARG...`` its documented way, runs one task against an instant OpenAI-compatible server
on loopback (``instant_server``, answering with text at once), and the first request body is
written to OUT_JSON. Standard library plus the peer only.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import instant_server
from adapters._common import API_KEY

MODEL = "smollm2"
TASK = "What is the status of the git repository?"


def answer_at_once(body: dict[str, Any]) -> dict[str, Any]:
    offered = {t.get("function", {}).get("name") for t in body.get("tools") or []}
    message: dict[str, Any] = {"role": "assistant", "content": "clean"}
    if "final_answer" in offered:  # smolagents answers through its final_answer tool
        call = {"name": "final_answer", "arguments": json.dumps({"answer": "clean"})}
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_final", "type": "function", "function": call}
        ]}  # fmt: skip
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return {
        "id": "chatcmpl-instant",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55},
    }


def pydantic_ai(base_url: str, command: list[str]) -> None:
    from fastmcp.client.transports import StdioTransport
    from pydantic_ai import Agent
    from pydantic_ai.mcp import MCPToolset
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=base_url, api_key=API_KEY))
    toolset = MCPToolset(StdioTransport(command=command[0], args=command[1:]))
    agent = Agent(model, toolsets=[toolset])
    agent.run_sync(TASK)


def openai_agents(base_url: str, command: list[str]) -> None:
    from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled
    from agents.mcp import MCPServerStdio
    from openai import AsyncOpenAI

    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=base_url, api_key=API_KEY)

    async def main() -> None:
        params = {"command": command[0], "args": command[1:]}
        async with MCPServerStdio(params=params) as server:  # type: ignore[arg-type]
            model = OpenAIChatCompletionsModel(model=MODEL, openai_client=client)
            agent = Agent(name="Assistant", model=model, mcp_servers=[server])
            await Runner.run(agent, TASK)

    asyncio.run(main())


def smolagents(base_url: str, command: list[str]) -> None:
    from mcp import StdioServerParameters
    from smolagents import OpenAIServerModel, ToolCallingAgent, ToolCollection

    params = StdioServerParameters(command=command[0], args=command[1:])
    with ToolCollection.from_mcp(params, trust_remote_code=True) as collection:
        model = OpenAIServerModel(model_id=MODEL, api_base=base_url, api_key=API_KEY)
        ToolCallingAgent(tools=[*collection.tools], model=model).run(TASK, max_steps=1)


def agno(base_url: str, command: list[str]) -> None:
    import shlex

    from agno.agent import Agent
    from agno.models.openai.like import OpenAILike
    from agno.tools.mcp import MCPTools

    async def main() -> None:
        async with MCPTools(command=shlex.join(command)) as tools:
            model = OpenAILike(id=MODEL, base_url=base_url, api_key=API_KEY)
            await Agent(model=model, tools=[tools]).arun(TASK)

    asyncio.run(main())


PEERS = {
    "pydantic_ai": pydantic_ai,
    "openai_agents": openai_agents,
    "smolagents": smolagents,
    "agno": agno,
}


def main() -> None:
    peer, out, command = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
    instant_server.reply_for = answer_at_once  # the handler looks it up per request
    server = instant_server.InstantServer()
    try:
        PEERS[peer](server.base_url, command)
    finally:
        server.close()
    out.write_text(json.dumps(server.requests[0]))


if __name__ == "__main__":
    main()
