"""Does one argument value match a BFCL ground-truth parameter? Type check, then value check.

Ground truth lists the allowed values of a parameter; ``""`` among them marks it optional.
Strings compare after normalisation (no spaces or ``,./-_*^``, lowercase, ``'`` as ``"``);
lists compare whole and in order; dicts key by key against each key's allowed values.
"""

from __future__ import annotations

import re
from typing import Any

PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "char": str,
    "any": str,
    "integer": int,
    "long": int,
    "short": int,
    "byte": int,
    "float": float,
    "double": float,
    "boolean": bool,
    "array": list,
    "arraylist": list,
    "list": list,
    "tuple": list,
    "dict": dict,
    "hashmap": dict,
    "object": dict,
}
_IGNORED = re.compile(r"[ ,./\-_*^]")


def matches(value: Any, schema: dict[str, Any], allowed: list[Any]) -> str | None:
    """None if ``value`` passes, else why not."""
    value = list(value) if isinstance(value, tuple) else value
    expected = _python_type(schema)
    if expected is None or _has_type(value, expected):
        problem = _items_problem(value, schema) if expected is list else None
        return problem or _value_problem(value, allowed)
    if _is_variable(value, allowed):
        return None if value in allowed else f"value {value!r} not in {allowed!r}"
    return f"type {type(value).__name__} where {schema.get('type')} is expected"


def normalise(text: str) -> str:
    return _IGNORED.sub("", text).lower().replace("'", '"')


def _python_type(schema: dict[str, Any]) -> type | None:
    return PYTHON_TYPES.get(str(schema.get("type", "")).lower())


def _has_type(value: Any, expected: type) -> bool:
    if expected is float and type(value) is int:
        return True  # Python promotes int to float
    return type(value) is expected


def _items_problem(value: list[Any], schema: dict[str, Any]) -> str | None:
    items = schema.get("items")
    if not isinstance(items, dict) or str(items.get("type", "any")).lower() == "any":
        return None
    expected = _python_type(items)
    if expected is None:
        return None
    wrong = [item for item in value if not _has_type(item, expected)]
    return f"list items {wrong!r} are not {items['type']}" if wrong else None


def _is_variable(value: Any, allowed: list[Any]) -> bool:
    """A value of another type than the schema's, but of the ground truth's (e.g. a name)."""
    given = [item for item in allowed if item != ""]
    return bool(given) and all(type(item) is type(value) for item in given)


def _value_problem(value: Any, allowed: list[Any]) -> str | None:
    if isinstance(value, str):
        ok = normalise(value) in {normalise(item) for item in allowed if isinstance(item, str)}
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        ok = any(_dict_list_matches(value, option) for option in allowed)
    elif isinstance(value, list):
        ok = any(_list_matches(value, option) for option in allowed)
    elif isinstance(value, dict):
        ok = any(_dict_matches(value, option) for option in allowed)
    else:
        ok = value in allowed
    return None if ok else f"value {value!r} not in {allowed!r}"


def _canonical(item: Any) -> Any:
    return normalise(item) if isinstance(item, str) else item


def _list_matches(value: list[Any], option: Any) -> bool:
    if not isinstance(option, list | tuple):
        return False
    return [_canonical(item) for item in value] == [_canonical(item) for item in option]


def _dict_matches(value: dict[str, Any], option: Any) -> bool:
    if not isinstance(option, dict):
        return False
    for key, given in value.items():
        choices = option.get(key)
        if choices is None:
            return False
        choices = choices if isinstance(choices, list) else [choices]
        if _canonical(given) not in [_canonical(choice) for choice in choices]:
            return False
    return all(key in value for key, choices in option.items() if "" not in _as_list(choices))


def _dict_list_matches(value: list[dict[str, Any]], option: Any) -> bool:
    if not isinstance(option, list) or len(option) != len(value):
        return False
    return all(_dict_matches(given, wanted) for given, wanted in zip(value, option, strict=True))


def _as_list(choices: Any) -> list[Any]:
    return choices if isinstance(choices, list) else [choices]
