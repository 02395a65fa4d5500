"""pydantic-ai: an ``Agent`` on an ``OpenAIChatModel`` with an ``OpenAIProvider(base_url=…)``,
tools from their JSON Schema with ``Tool.from_schema``."""

from __future__ import annotations

from ._common import API_KEY, Run, ToolDef


def make_agent(tools: list[ToolDef], base_url: str, model: str) -> Run:
    from pydantic_ai import Agent, Tool
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    chat_model = OpenAIChatModel(model, provider=OpenAIProvider(base_url=base_url, api_key=API_KEY))
    agent = Agent(
        chat_model,
        tools=[Tool.from_schema(t.function, t.name, t.description, t.parameters) for t in tools],
    )
    return lambda task: str(agent.run_sync(task).output)
