"""The calls a BFCL ground truth describes: the first allowed value of every parameter, optional
parameters left out unless the function's schema requires them.

Used to check the scorer (the ground truth must pass) and as a perfect model in tests.
"""

from __future__ import annotations

from typing import Any

from autan.bench._data import Entry
from autan.bench._score import Call


def ground_truth_calls(entry: Entry) -> list[Call]:
    required = {
        f["name"]: set(f.get("parameters", {}).get("required", [])) for f in entry.functions
    }
    return [
        _call(name, allowed, required.get(name, set()))
        for truth in entry.ground_truth
        for name, allowed in truth.items()
    ]


def _call(name: str, allowed: dict[str, list[Any]], required: set[str]) -> Call:
    arguments = {
        parameter: _first(values)
        for parameter, values in allowed.items()
        if parameter in required or "" not in values
    }
    return {"name": name, "arguments": arguments}


def _first(values: Any) -> Any:
    """The first allowed value that is not ``""`` (the mark of an optional parameter)."""
    given = [item for item in values if item != ""] if isinstance(values, list) else [values]
    value = given[0] if given else ""
    if isinstance(value, dict):
        return _literal_dict(value)
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [_literal_dict(item) for item in value]
    return value


def _literal_dict(allowed: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _first(values)
        for key, values in allowed.items()
        if not (isinstance(values, list) and "" in values)
    }
