"""A typed answer's schema bounded, for the grammar only, so that its longest answer fits a step.

A grammar makes every answer schema-valid only if the answer ends: a small model that repeats
inside a list or a string until the step's token limit is cut before the JSON closes (issue
17). ``fitted`` gives every string the schema leaves unbounded one shared ``maxLength`` and
every unbounded array one shared ``maxItems``: the most items, up to ``ARRAY_ITEMS``, that
still leave the strings ``USEFUL_LENGTH`` characters (else one item), and the longest strings
for which ``longest`` of the whole reply is within the budget. Bounds the schema states are kept
as they are, never loosened; validation is against the user's own type, unchanged.

``longest`` counts characters of the text llama.cpp's JSON-schema grammar admits (one optional
space at each separator, an integer of at most 18 characters with its space, a number of at
most 53); a bounded string's character is at most 2 (an escape such as ``\\"``:
``PLAIN_CHARS`` marks the schema so the grammar leaves out the 6-character ``\\uXXXX`` escape;
every string can still be written, with its characters as they are). A token is at least one
character, so the reply fits the budget in tokens; a character a tokenizer splits into several
byte tokens (a rare non-ASCII one) can make it longer. Pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from autan.protocols.constrained import answer_schema

ARRAY_ITEMS = 8
USEFUL_LENGTH = 12
"""Two words or so. Chosen with the extraction benchmark's ``Person`` in view: at 256 tokens it
gives 3 list items of 12 characters (16 characters would leave 2 items, and 3 languages are
expected in 5 of its 50 texts)."""
PLAIN_CHARS = "x-autan-plain-chars"
"""Set on a fitted schema: its grammar's string characters leave out ``\\uXXXX``."""
SHORT_NUMBERS = "x-autan-short-numbers"
"""Set on a refit call's schema (``fitted_value``): its grammar's numbers have at most 6
decimals and no exponent, so that a number takes at most ``_SHORT_NUMBER`` characters."""
_CHAR = 2
_INTEGER = 18
_NUMBER = 53
_SHORT_NUMBER = 25  # "-", 16 digits, ".", 6 digits, a space
_FORMATS = {"date": 10, "time": 18, "date-time": 29, "uuid": 36}
Size = Callable[[dict[str, Any]], int | None]
"""The most characters a reply holding a value of a schema takes (``longest``)."""


def fitted(answer: dict[str, Any], budget: int) -> dict[str, Any]:
    """``answer`` (a typed answer's JSON Schema) bounded so the step's whole reply, its answer
    object ``{"result": ...}``, is at most ``budget`` characters; ``answer`` itself when it has
    nothing unbounded, or when no bound makes it fit (a recursive schema, an open object, a
    pattern, or fixed parts longer than the budget)."""
    return _fit(answer, budget, reply_longest)


def fitted_value(schema: dict[str, Any], budget: int) -> dict[str, Any]:
    """``schema`` (a whole reply's: a step's calls or answer) bounded the same way, so that
    its longest value is at most ``budget`` characters; ``schema`` itself where that cannot be.
    A value of any type (``{}``, BFCL's Java and JavaScript parameters) is narrowed to a string
    first: a string is one of its values, and a string can be bounded; numbers are held to
    ``SHORT_NUMBERS``' form (a number of 53 characters, which llama.cpp's grammar admits, left
    no room in 256 for a call of four)."""
    narrowed = _any_as_string(schema)
    fitted = _fit(narrowed, budget, _short)
    if fitted is narrowed and not _fits(narrowed, budget, _short):
        return schema  # nothing to bound, or no bound makes it fit
    return {**fitted, SHORT_NUMBERS: True}


def _short(schema: dict[str, Any]) -> int | None:
    return longest(schema, _SHORT_NUMBER)


def _any_as_string(node: Any) -> Any:
    """``node`` with every schema that admits any value (``{}``) made ``{"type": "string"}``."""
    if not isinstance(node, dict):
        return node
    if not node:
        return {"type": "string"}
    out = dict(node)
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = _any_as_string(out[key])
    for key in ("properties", "$defs"):
        if isinstance(out.get(key), dict):
            out[key] = {name: _any_as_string(value) for name, value in out[key].items()}
    for key in ("anyOf", "oneOf"):
        if isinstance(out.get(key), list):
            out[key] = [_any_as_string(option) for option in out[key]]
    return out


def _fit(schema: dict[str, Any], budget: int, size: Size) -> dict[str, Any]:
    best: dict[str, Any] | None = None
    for items in range(ARRAY_ITEMS, 0, -1):
        length = _longest_length(schema, items, budget, size)
        if length is not None:
            best = _bounded(schema, items, length)
            if length >= USEFUL_LENGTH:
                break
    if best is None or best == schema:
        return schema
    return {**best, PLAIN_CHARS: True}


def longest(schema: dict[str, Any], number: int = _NUMBER) -> int | None:
    """The most characters a value of ``schema`` takes under its grammar; ``None``: no bound.
    ``number``: the most a number takes (``_SHORT_NUMBER`` under ``SHORT_NUMBERS``)."""
    return _Walk(schema.get("$defs", {}), number).longest(schema)


def reply_longest(answer: dict[str, Any]) -> int | None:
    """``longest`` of the step's reply that holds ``answer``: its answer object."""
    return longest(answer_schema(answer))


def _longest_length(schema: dict[str, Any], items: int, budget: int, size: Size) -> int | None:
    """The largest shared string bound under which the reply fits; ``None`` if none does."""
    low, high = 0, budget
    if not _fits(_bounded(schema, items, low), budget, size):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(_bounded(schema, items, middle), budget, size):
            low = middle
        else:
            high = middle - 1
    return low


def _fits(schema: dict[str, Any], budget: int, size: Size) -> bool:
    most = size(schema)
    return most is not None and most <= budget


def _bounded(node: Any, items: int, length: int) -> Any:
    if isinstance(node, list):
        return [_bounded(item, items, length) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _bounded(value, items, length) for key, value in node.items()}
    if _free_string(out) and "maxLength" not in out:
        out["maxLength"] = max(length, out.get("minLength", 0))
    if out.get("type") == "array" and "items" in out and "maxItems" not in out:
        out["maxItems"] = max(items, out.get("minItems", 0))
    return out


def _free_string(node: dict[str, Any]) -> bool:
    fixed = ("enum", "const", "pattern", "$ref", "anyOf", "oneOf")
    return (
        node.get("type") == "string"
        and not any(key in node for key in fixed)
        and node.get("format") not in _FORMATS
    )


class _Walk:
    """``longest`` over one schema's ``$defs``; a reference met again inside itself: no bound."""

    def __init__(self, definitions: dict[str, Any], number: int = _NUMBER) -> None:
        self.definitions = definitions
        self.number = number
        self.open: set[str] = set()

    def longest(self, node: dict[str, Any]) -> int | None:
        if "$ref" in node:
            return self._reference(node["$ref"])
        options = node.get("anyOf") or node.get("oneOf")
        if options is not None:
            return _most([self.longest(option) for option in options])
        if "const" in node:
            return len(json.dumps(node["const"]))
        if "enum" in node:
            return max(len(json.dumps(value)) for value in node["enum"])
        kind = node.get("type")
        if isinstance(kind, list):
            return _most([self.longest({**node, "type": one}) for one in kind])
        if kind == "string":
            return _string(node)
        if kind == "array":
            return self._array(node)
        if kind == "object" and "properties" in node:
            return self._object(node)
        return {"integer": _INTEGER, "number": self.number, "boolean": 6, "null": 5}.get(str(kind))

    def _reference(self, reference: str) -> int | None:
        name = reference.rsplit("/", 1)[-1]
        if name in self.open or name not in self.definitions:
            return None
        self.open.add(name)
        size = self.longest(self.definitions[name])
        self.open.discard(name)
        return size

    def _array(self, node: dict[str, Any]) -> int | None:
        if isinstance(node.get("prefixItems"), list):
            parts = [self.longest(item) for item in node["prefixItems"]]
            if any(part is None for part in parts):
                return None
            return 4 + sum(part or 0 for part in parts) + 2 * max(len(parts) - 1, 0)
        if node.get("maxItems") == 0:
            return 4
        if "maxItems" not in node or not isinstance(node.get("items"), dict):
            return None
        most = int(node["maxItems"])
        item = self.longest(node["items"])
        if item is None:
            return None
        return 4 + most * item + 2 * max(most - 1, 0)  # "[" space items "," space "]" space

    def _object(self, node: dict[str, Any]) -> int | None:
        extra = node.get("additionalProperties")
        if extra is True or isinstance(extra, dict):
            return None
        size = 4  # "{" space ... "}" space
        properties = node["properties"]
        for name, value in properties.items():
            part = self.longest(value)
            if part is None:
                return None
            size += len(json.dumps(name)) + 3 + part  # name space ":" space value
        return size + 2 * max(len(properties) - 1, 0)  # "," space


def _string(node: dict[str, Any]) -> int | None:
    if node.get("format") in _FORMATS:
        return _FORMATS[node["format"]] + 3
    if "pattern" in node or "maxLength" not in node:
        return None
    return 3 + _CHAR * int(node["maxLength"])  # '"' chars '"' space


def _most(sizes: list[int | None]) -> int | None:
    if not sizes or any(size is None for size in sizes):
        return None
    return max(size or 0 for size in sizes)
