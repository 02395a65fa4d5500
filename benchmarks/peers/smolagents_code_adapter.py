"""smolagents' ``CodeAgent`` (the model writes Python that calls the tools), built like the
``ToolCallingAgent`` adapter (``adapters/smolagents.py``, whose tool conversion it reuses).
Measured for its first request only: its prompt is the largest of the peers'."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def make_agent(tools: list[Any], base_url: str, model: str) -> Callable[[str], str]:
    from adapters._common import API_KEY  # type: ignore[import-not-found]
    from adapters.smolagents import _tool  # type: ignore[import-not-found]
    from smolagents import CodeAgent, OpenAIServerModel

    server_model = OpenAIServerModel(model_id=model, api_base=base_url, api_key=API_KEY)
    agent = CodeAgent(tools=[_tool(tool) for tool in tools], model=server_model)
    return lambda task: str(agent.run(task))
