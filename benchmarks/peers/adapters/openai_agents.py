"""openai-agents: an ``Agent`` on an ``OpenAIChatCompletionsModel`` over an
``AsyncOpenAI(base_url=…)`` client, tracing disabled (nowhere to send it), tools as
``FunctionTool`` with the given schema (not strict: the schema is not in strict form)."""

from __future__ import annotations

import json
from typing import Any

from ._common import API_KEY, Run, ToolDef


def make_agent(tools: list[ToolDef], base_url: str, model: str) -> Run:
    from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled
    from openai import AsyncOpenAI

    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=base_url, api_key=API_KEY)
    agent = Agent(
        name="Assistant",
        model=OpenAIChatCompletionsModel(model=model, openai_client=client),
        tools=[_tool(tool) for tool in tools],
    )
    return lambda task: str(Runner.run_sync(agent, task).final_output)


def _tool(definition: ToolDef) -> Any:
    from agents import FunctionTool

    async def invoke(context: Any, arguments: str) -> str:
        return definition.function(**json.loads(arguments or "{}"))

    return FunctionTool(
        name=definition.name,
        description=definition.description,
        params_json_schema=definition.parameters,
        on_invoke_tool=invoke,
        strict_json_schema=False,
    )
