"""agno: an ``Agent`` on ``OpenAILike(base_url=…)`` (agno's model for OpenAI-compatible
servers), tools as ``Function``s with the given parameters (not re-derived from a signature)."""

from __future__ import annotations

from ._common import API_KEY, Run, ToolDef


def make_agent(tools: list[ToolDef], base_url: str, model: str) -> Run:
    from agno.agent import Agent
    from agno.models.openai.like import OpenAILike
    from agno.tools.function import Function

    functions = [
        Function(
            name=t.name,
            description=t.description,
            parameters=t.parameters,
            entrypoint=t.function,
            skip_entrypoint_processing=True,
        )
        for t in tools
    ]
    agent = Agent(model=OpenAILike(id=model, base_url=base_url, api_key=API_KEY), tools=functions)
    return lambda task: str(agent.run(task).content)
