"""autan built like a peer adapter: ``make_agent(tools, base_url, model) -> run(task) -> answer``.

``base_url`` empty means the embedded model. Default limits and instructions; the tool
protocol for a server is chosen by autan's probe, as for a user's ``openai:MODEL@URL`` spec,
unless ``tool_protocol`` names one (``--tool-protocol`` on the command line).
The ``RunResult`` of the latest run is kept on ``run.last_result``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any


def make_agent(
    tools: list[Any], base_url: str, model: str, tool_protocol: str | None = None
) -> Callable[[str], str]:
    from autan import Agent, RunError, load_model, tool

    spec = f"openai:{model}@{base_url}" if base_url else "local"
    autan_tools = [
        dataclasses.replace(
            tool(name=t.name, description=t.description)(t.function), parameters=t.parameters
        )
        for t in tools
    ]
    agent = Agent(load_model(spec, tool_protocol), tools=autan_tools)

    def run(task: str) -> str:
        try:
            result = agent.run(task)
        except RunError as failure:
            run.last_result = failure.result  # type: ignore[attr-defined]
            raise
        run.last_result = result  # type: ignore[attr-defined]
        return result.output or ""

    run.agent = agent  # type: ignore[attr-defined]
    return run
