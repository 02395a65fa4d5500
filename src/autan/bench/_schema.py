"""BFCL function documents as autan ToolSpecs: BFCL's type names mapped to JSON Schema.

BFCL writes ``dict`` for objects, ``float`` for numbers, ``tuple`` for arrays and ``any`` for
anything, plus Java/JavaScript names (``String``, ``HashMap``, ``long``). Names may contain
dots, which many tool APIs refuse, so a tool's name has dots replaced by underscores; the map
back is returned with the specs.
"""

from __future__ import annotations

from typing import Any

from autan.messages import ToolSpec

JSON_TYPES = {
    "string": "string",
    "char": "string",
    "integer": "integer",
    "long": "integer",
    "short": "integer",
    "byte": "integer",
    "float": "number",
    "double": "number",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "arraylist": "array",
    "list": "array",
    "tuple": "array",
    "dict": "object",
    "hashmap": "object",
    "object": "object",
}
_KEPT = ("description", "enum", "default")


def tool_specs(
    functions: tuple[dict[str, Any], ...],
) -> tuple[tuple[ToolSpec, ...], dict[str, str]]:
    """One ToolSpec per BFCL function, and tool name → original BFCL name."""
    specs = tuple(tool_spec(function) for function in functions)
    names = {spec.name: function["name"] for spec, function in zip(specs, functions, strict=True)}
    return specs, names


def tool_spec(function: dict[str, Any]) -> ToolSpec:
    parameters = json_schema(function.get("parameters") or {"type": "dict", "properties": {}})
    parameters.setdefault("properties", {})
    parameters["type"] = "object"
    return ToolSpec(tool_name(function["name"]), function.get("description", ""), parameters)


def tool_name(name: str) -> str:
    return name.replace(".", "_")


def json_schema(node: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one BFCL parameter description (recursively)."""
    kind = JSON_TYPES.get(str(node.get("type", "any")).lower())
    if kind is None:
        return {}  # any value; llama.cpp's grammar refuses a schema that is only a description
    schema: dict[str, Any] = {key: node[key] for key in _KEPT if key in node}
    schema["type"] = kind
    if kind == "array" and isinstance(node.get("items"), dict):
        schema["items"] = json_schema(node["items"])
    if kind == "object" and isinstance(node.get("properties"), dict):
        properties = {name: json_schema(sub) for name, sub in node["properties"].items()}
        schema["properties"] = properties
        required = [name for name in node.get("required", []) if name in properties]
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
    return schema
