"""JSON Schemas as a model reads them."""

from __future__ import annotations

from typing import Any


def without_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without its ``title`` keys (pydantic writes them): they cost prompt tokens and
    tell the model nothing."""

    def clean(node: Any, in_properties: bool = False) -> Any:
        if isinstance(node, dict):
            return {
                key: clean(value, key == "properties")
                for key, value in node.items()
                if in_properties or key != "title"
            }
        if isinstance(node, list):
            return [clean(item) for item in node]
        return node

    cleaned: dict[str, Any] = clean(schema)
    return cleaned
