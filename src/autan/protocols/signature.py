"""Tools as one-line signatures, a fraction of the tokens of their JSON Schemas: the one
renderer, in two styles (the ``constrained`` protocol's and Python's, for code actions)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autan.messages import ToolSpec


@dataclass(frozen=True, slots=True)
class SignatureStyle:
    kind: Callable[[str | None], str]
    """A JSON Schema type (``None``: the schema has none) → the name shown."""
    enum: Callable[[list[str]], str]
    """The values of an enum, as JSON → how the enum is shown."""
    separator: str
    """Between the options of an ``anyOf``."""
    default: Callable[[Any], str]
    """An optional parameter's default → what follows its type."""
    no_default: str
    """What follows the type of an optional parameter without a default."""
    line: Callable[[str, str, str], str]
    """(name, arguments, description) → the signature line."""
    untyped_items: bool = True
    """Whether an array without ``items`` shows as ``list[<untyped>]`` (else as its type name)."""


def signature(spec: ToolSpec, style: SignatureStyle) -> str:
    properties: dict[str, Any] = spec.parameters.get("properties", {})
    required = set(spec.parameters.get("required", []))
    arguments = ", ".join(
        f"{name}: {type_name(schema, style)}{_after(schema, name in required, style)}"
        for name, schema in properties.items()
    )
    return style.line(spec.name, arguments, spec.description)


def answer_shape(schema: dict[str, Any], style: SignatureStyle) -> str:
    """A typed answer's JSON Schema in a line: ``{field: type, ...}`` for an object, else its
    type; references into ``$defs`` (nested models, enums) resolved."""
    resolved = _resolved(schema, schema.get("$defs", {}))
    if resolved.get("type") == "object" and "properties" in resolved:
        spec = ToolSpec("", "", resolved)
        return "{" + signature(spec, style).removeprefix("(").removesuffix(")") + "}"
    return type_name(resolved, style)


def _resolved(node: Any, definitions: dict[str, Any], depth: int = 0) -> Any:
    if isinstance(node, list):
        return [_resolved(item, definitions, depth) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and depth < 8:
        target = definitions.get(reference.rsplit("/", 1)[-1], {})
        return _resolved(target, definitions, depth + 1)
    return {k: _resolved(v, definitions, depth) for k, v in node.items() if k != "$defs"}


def type_name(schema: dict[str, Any], style: SignatureStyle) -> str:
    if "enum" in schema:
        return style.enum([json.dumps(value) for value in schema["enum"]])
    if "anyOf" in schema:
        return style.separator.join(type_name(option, style) for option in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array" and ("items" in schema or style.untyped_items):
        return f"list[{type_name(schema.get('items', {}), style)}]"
    return style.kind(None if kind is None else str(kind))


def _after(schema: dict[str, Any], required: bool, style: SignatureStyle) -> str:
    if required:
        return ""
    return style.default(schema["default"]) if "default" in schema else style.no_default


COMPACT = SignatureStyle(
    kind=lambda kind: kind or "any",
    enum="|".join,
    separator="|",
    default=lambda value: f" = {json.dumps(value)}",
    no_default="?",
    line=lambda name, arguments, description: f"{name}({arguments}) - {description}".rstrip(" -"),
)
"""``name(arg: type, ...) - description``, JSON type names: the ``constrained`` protocol's."""


def _python_line(name: str, arguments: str, description: str) -> str:
    summary = description.strip().splitlines()[0] if description.strip() else ""
    return f"def {name}({arguments})" + (f"  # {summary}" if summary else "")


_PYTHON_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
    "null": "None",
}

PYTHON = SignatureStyle(
    kind=lambda kind: _PYTHON_TYPES.get(str(kind), "Any"),
    enum=lambda values: "Literal[" + ", ".join(values) + "]",
    separator=" | ",
    default=lambda value: f" = {value!r}",
    no_default=" = None",
    line=_python_line,
    untyped_items=False,
)
"""``def name(arg: type = default)  # summary``: Python, for code actions."""
