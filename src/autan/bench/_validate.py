"""Is a call schema-valid for the tools offered? The JSON Schema subset ``_schema`` produces:
``type``, ``properties``, ``required``, ``additionalProperties: false``, ``items``, ``enum``."""

from __future__ import annotations

from typing import Any

from autan.messages import ToolSpec

_CHECKS: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: type(v) is int or (type(v) is float and v.is_integer()),
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def call_is_valid(name: str, arguments: Any, tools: tuple[ToolSpec, ...]) -> bool:
    spec = next((tool for tool in tools if tool.name == name), None)
    return spec is not None and conforms(arguments, spec.parameters)


def conforms(value: Any, schema: dict[str, Any]) -> bool:
    """Whether ``value`` satisfies ``schema`` (the subset above)."""
    kind = schema.get("type")
    if kind is not None and not _CHECKS[kind](value):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if kind == "array" and isinstance(schema.get("items"), dict):
        return all(conforms(item, schema["items"]) for item in value)
    if kind == "object":
        return _object_conforms(value, schema)
    return True


def _object_conforms(value: dict[str, Any], schema: dict[str, Any]) -> bool:
    properties: dict[str, Any] = schema.get("properties", {})
    if any(name not in value for name in schema.get("required", [])):
        return False
    if schema.get("additionalProperties") is False and any(k not in properties for k in value):
        return False
    return all(conforms(v, properties[k]) for k, v in value.items() if k in properties)
