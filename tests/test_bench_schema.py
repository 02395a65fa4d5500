"""BFCL function documents as JSON Schema, and the schema check behind ``valid``."""

from __future__ import annotations

from autan.bench import tool_specs
from autan.bench._schema import json_schema
from autan.bench._validate import call_is_valid


def test_bfcl_types_map_to_json_schema() -> None:
    node = {
        "type": "dict",
        "properties": {
            "x": {"type": "float", "description": "x"},
            "pair": {"type": "tuple", "items": {"type": "integer"}},
            "anything": {"type": "any", "description": "refused by llama.cpp with a description"},
            "name": {"type": "String", "enum": ["a", "b"], "default": "a"},
        },
        "required": ["x", "ghost"],
    }
    assert json_schema(node) == {
        "type": "object",
        "properties": {
            "x": {"type": "number", "description": "x"},
            "pair": {"type": "array", "items": {"type": "integer"}},
            "anything": {},
            "name": {"type": "string", "enum": ["a", "b"], "default": "a"},
        },
        "required": ["x"],
        "additionalProperties": False,
    }


def test_tool_names_lose_their_dots_and_map_back() -> None:
    specs, names = tool_specs(({"name": "math.hypot", "description": "d", "parameters": {}},))
    assert specs[0].name == "math_hypot"
    assert specs[0].parameters["type"] == "object"
    assert names == {"math_hypot": "math.hypot"}


def test_calls_are_valid_only_against_an_offered_tool_and_its_schema() -> None:
    function = {
        "name": "f",
        "parameters": {
            "type": "dict",
            "properties": {
                "n": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["n"],
        },
    }
    specs, _ = tool_specs((function,))
    assert call_is_valid("f", {"n": 1, "tags": ["a"]}, specs)
    assert not call_is_valid("g", {"n": 1}, specs)
    assert not call_is_valid("f", {}, specs)
    assert not call_is_valid("f", {"n": "1"}, specs)
    assert not call_is_valid("f", {"n": 1, "tags": [1]}, specs)
    assert not call_is_valid("f", {"n": 1, "extra": True}, specs)
