"""A tool schema that llama.cpp's grammar cannot express (an MCP tool may use any JSON Schema):
the embedded model's grammar loosens that tool's arguments, jsonschema still checks them."""

from __future__ import annotations

from autan import Agent, ToolResulted, mcp_tools
from autan.protocols.constrained import call_schema, output_schema
from autan.testing import ScriptedModel
from mcp_helpers import server_command


def test_the_grammar_builds_and_the_schema_still_validates() -> None:
    from autan.models._llama_grammar import grammar as grammar_of
    from autan.protocols import JsonOutput

    script = [("lucky", {"n": 13}), ("lucky", {"n": 7}), "done"]
    with mcp_tools(server_command("odd-schema")) as tools, Agent(ScriptedModel(script), tools) as a:
        specs = tuple(t.spec for t in tools)
        grammar = grammar_of(JsonOutput(output_schema(specs, "auto"), call_schema(specs)))
        refused, answered = [e for e in a.run("luck").events if isinstance(e, ToolResulted)]
    assert grammar is not None
    assert refused.is_error
    assert refused.output.startswith("error: invalid arguments: n: 13 should not be valid under")
    assert answered.output == "lucky 7"
