"""langgraph: ``create_react_agent`` with a ``ChatOpenAI(base_url=…)`` model, tools as
langchain ``StructuredTool``s whose ``args_schema`` is the JSON Schema itself."""

from __future__ import annotations

from ._common import API_KEY, Run, ToolDef


def make_agent(tools: list[ToolDef], base_url: str, model: str) -> Run:
    from langchain_core.tools import StructuredTool
    from langchain_openai import ChatOpenAI
    from langgraph.prebuilt import create_react_agent

    structured = [
        StructuredTool.from_function(
            func=t.function, name=t.name, description=t.description, args_schema=t.parameters
        )
        for t in tools
    ]
    agent = create_react_agent(
        ChatOpenAI(model=model, base_url=base_url, api_key=API_KEY), structured
    )

    def run(task: str) -> str:
        state = agent.invoke({"messages": [{"role": "user", "content": task}]})
        return str(state["messages"][-1].content)

    return run
