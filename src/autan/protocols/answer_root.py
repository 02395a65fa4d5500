"""A typed answer's schema with an object at its root, and the answer taken back out of it.

OpenAI-compatible servers take only an object as the root of a ``response_format`` schema or a
tool's parameters; an output type such as ``list[int]``, a string enum or a union has another
root. Such a schema is wrapped as ``{"result": <schema>}`` (the ``constrained`` protocol's
answer object, its ``$defs`` moved to the top), and the answer is unwrapped on return.
"""

from __future__ import annotations

import json
from typing import Any

from autan.protocols.constrained import ANSWER_KEY, answer_schema


def needs_object_root(schema: dict[str, Any]) -> bool:
    return schema.get("type") != "object"


def object_rooted(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` itself when its root is an object, else wrapped as ``{"result": schema}``."""
    return answer_schema(schema) if needs_object_root(schema) else schema


def unwrapped(value: Any, schema: dict[str, Any]) -> Any:
    """A value of ``object_rooted(schema)`` as a value of ``schema``."""
    if needs_object_root(schema) and isinstance(value, dict) and ANSWER_KEY in value:
        return value[ANSWER_KEY]
    return value


def answer_text(value: Any) -> str:
    """An answer value as the text the loop validates: a string as it is, else its JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
