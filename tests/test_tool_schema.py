"""``@tool``: JSON Schema from type hints and docstrings, validation before the call."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from autan import Tool, tool
from autan.errors import ToolDefinitionError
from autan.tools import ToolArgumentsError


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Point(BaseModel):
    x: float
    y: float


def schema_of(function: Any) -> dict[str, Any]:
    built: Tool = tool(function)
    return built.parameters


def test_name_description_and_parameter_docs() -> None:
    def greet(name: str, times: int = 1) -> str:
        """Greet someone.

        Args:
            name: who to greet
            times: how many times
        """
        return name * times

    built = tool(greet)
    assert built.name == "greet"
    assert built.description == "Greet someone."
    assert built.parameters["properties"]["name"] == {
        "type": "string",
        "description": "who to greet",
    }
    assert built.parameters["required"] == ["name"]
    assert built.parameters["properties"]["times"]["default"] == 1
    assert built("a", times=2) == "aa"


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (dict[str, int], {"type": "object", "additionalProperties": {"type": "integer"}}),
        (Literal["a", "b"], {"enum": ["a", "b"], "type": "string"}),
        (str | None, {"anyOf": [{"type": "string"}, {"type": "null"}]}),
    ],
)
def test_common_types(annotation: Any, expected: dict[str, Any]) -> None:
    def f(value):  # type: ignore[no-untyped-def]
        return value

    f.__annotations__ = {"value": annotation}
    assert schema_of(f)["properties"]["value"] == expected


def test_enum_and_pydantic_model_use_definitions() -> None:
    def paint(color: Color, at: Point) -> str:
        """Paint a point."""
        return f"{color.value} {at.x}"

    built = tool(paint)
    definitions = built.parameters["$defs"]
    assert definitions["Color"]["enum"] == ["red", "blue"]
    assert definitions["Point"]["required"] == ["x", "y"]
    arguments = built.validate({"color": "red", "at": {"x": 1, "y": 2}})
    assert built.function(**arguments) == "red 1.0"


def test_declared_constraints_reach_the_schema() -> None:
    def code(value: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]) -> str:
        """A currency code."""
        return value

    built = tool(code)
    assert built.parameters["properties"]["value"]["pattern"] == "^[A-Z]{3}$"
    with pytest.raises(ToolArgumentsError, match="value"):
        built.validate({"value": "usd"})


def test_validation_rejects_missing_extra_and_wrong_types() -> None:
    def f(n: int) -> int:
        """N."""
        return n

    built = tool(f)
    for bad in ({}, {"n": 1, "m": 2}, {"n": "seven"}, {"n": [1]}):
        with pytest.raises(ToolArgumentsError):
            built.validate(bad)
    assert built.validate({"n": 3}) == {"n": 3}


def test_titles_are_dropped_to_save_tokens() -> None:
    def f(n: int) -> int:
        """N."""
        return n

    assert "title" not in str(schema_of(f))


def test_missing_type_hint_names_the_tool_and_parameter() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        """No hints."""
        return x

    with pytest.raises(ToolDefinitionError, match=r"'untyped'.*'x'"):
        tool(untyped)


def test_decorator_with_options() -> None:
    @tool(name="sum_two", description="Sum two numbers.")
    def f(a: int, b: int) -> int:
        return a + b

    assert (f.name, f.description) == ("sum_two", "Sum two numbers.")


def test_var_args_are_refused() -> None:
    def f(*args: int) -> int:
        """Sum."""
        return sum(args)

    with pytest.raises(ToolDefinitionError):
        tool(f)
