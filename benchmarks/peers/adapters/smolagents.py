"""smolagents: a ``ToolCallingAgent`` on an ``OpenAIServerModel`` (its docs' way to reach an
OpenAI-compatible server), tools as ``Tool`` subclasses whose ``inputs`` come from the schema."""

from __future__ import annotations

from typing import Any

from ._common import API_KEY, Run, ToolDef, required_names


def make_agent(tools: list[ToolDef], base_url: str, model: str) -> Run:
    from smolagents import OpenAIServerModel, ToolCallingAgent

    server_model = OpenAIServerModel(model_id=model, api_base=base_url, api_key=API_KEY)
    agent = ToolCallingAgent(tools=[_tool(tool) for tool in tools], model=server_model)
    return lambda task: str(agent.run(task))


def _tool(definition: ToolDef) -> Any:
    from smolagents import Tool

    class SchemaTool(Tool):  # type: ignore[misc]
        skip_forward_signature_validation = True
        output_type = "string"

        def __init__(self) -> None:
            self.name = definition.name
            self.description = definition.description or definition.name
            self.inputs = _inputs(definition.parameters)
            super().__init__()

        def forward(self, **arguments: Any) -> str:
            return definition.function(**arguments)

    return SchemaTool()


def _inputs(parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """smolagents' ``inputs``: each property with a type (``any`` when the schema has none), a
    description, and ``nullable`` when it is optional."""
    required = required_names(parameters)
    inputs = {}
    for name, schema in (parameters.get("properties") or {}).items():
        entry = {**schema, "type": schema.get("type", "any")}
        entry["description"] = schema.get("description") or name
        if name not in required:
            entry["nullable"] = True
        inputs[name] = entry
    return inputs
