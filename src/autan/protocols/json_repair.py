"""Lenient JSON for model output: strict parse first, then deterministic repair (json-repair).

Repair covers trailing commas, single quotes, unquoted keys, Python literals and output cut off
before its closing quotes and brackets. It never evaluates anything. json-repair's cost grows
faster than linearly on some inputs (a long unterminated string), so only short texts are
repaired; tool-call JSON is short, and a longer broken text is reported as unparsable.
"""

from __future__ import annotations

import json
from typing import Any

MAX_REPAIR_CHARS = 16_384


class UnparsableJSON(ValueError):
    """Text that is not JSON, even after repair."""


def loads_lenient(text: str) -> Any:
    stripped = _strip_fence(text.strip())
    try:
        return json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        pass
    if not stripped or len(stripped) > MAX_REPAIR_CHARS or stripped[0] not in "{[":
        raise UnparsableJSON("not JSON")
    return _repair(stripped)


def _repair(text: str) -> Any:
    import json_repair

    try:
        value = json_repair.loads(text)
    except (RecursionError, ValueError, TypeError, IndexError) as error:
        raise UnparsableJSON(f"cannot repair: {type(error).__name__}") from None
    if value == "" or value is None:
        raise UnparsableJSON("nothing recoverable")
    return value


def _strip_fence(text: str) -> str:
    if text.startswith("```"):
        body = text[3:]
        newline = body.find("\n")
        body = body[newline + 1 :] if newline != -1 else body
        end = body.rfind("```")
        return (body[:end] if end != -1 else body).strip()
    return text
