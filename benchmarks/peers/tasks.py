"""The multi-step task set: two small tools and 20 tasks, each solved by one tool call.

Standard library only: the peers' workers import it inside their own virtual environments.
Every task offers both tools (``get_weather`` and ``calculator``); the first two are the issue's
weather lookup and arithmetic question. A task is solved when its final answer contains one of
the ``expected`` values as a whole number or word (see ``is_correct``).
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

WEATHER: dict[str, tuple[int, str]] = {
    "paris": (18, "light rain"),
    "tokyo": (23, "sunny"),
    "london": (12, "cloudy"),
    "cairo": (34, "clear"),
    "oslo": (4, "snow"),
    "lima": (19, "fog"),
    "sydney": (27, "windy"),
}


def get_weather(city: str) -> str:
    """The current weather in a city: temperature in degrees Celsius and conditions."""
    known = WEATHER.get(city.strip().lower())
    if known is None:
        return f"No weather data for {city!r}. Known cities: {', '.join(sorted(WEATHER))}."
    celsius, conditions = known
    return f"{city.strip().title()}: {celsius} °C, {conditions}"


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression with + - * / % ** and parentheses."""
    try:
        value = _evaluate(ast.parse(expression.strip(), mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError) as error:
        return f"error: {error}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _evaluate(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        right = _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponent too large")
        return _BINARY[type(node.op)](_evaluate(node.left), right)
    raise ValueError(f"not arithmetic: {ast.unparse(node)}")


def _object(name: str, description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": "string", "description": description}},
        "required": [name],
    }


@dataclass(frozen=True)
class ToolInfo:
    """A tool as every framework is given it: name, description, JSON Schema, function."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., str]


TOOLS: list[ToolInfo] = [
    ToolInfo(
        "get_weather",
        "Get the current weather in a city: temperature in degrees Celsius and conditions.",
        _object("city", "The city name, for example Paris."),
        get_weather,
    ),
    ToolInfo(
        "calculator",
        "Evaluate an arithmetic expression and return the result.",
        _object("expression", "An arithmetic expression, for example 2 * (3 + 4)."),
        calculator,
    ),
]


@dataclass(frozen=True)
class Task:
    prompt: str
    expected: tuple[str, ...]


TASKS: list[Task] = [
    Task("What is the weather in Paris?", ("18", "rain")),
    Task("What is 37 * 91?", ("3367",)),
    Task("What is the temperature in Tokyo in degrees Celsius?", ("23",)),
    Task("How warm is it in Cairo right now?", ("34",)),
    Task("What is the current temperature in Oslo?", ("4",)),
    Task("What is the weather like in Oslo?", ("snow",)),
    Task("What are the weather conditions in London?", ("cloudy",)),
    Task("Tell me the weather in Lima.", ("19", "fog")),
    Task("What is the temperature in Sydney?", ("27",)),
    Task("What is 125 + 389?", ("514",)),
    Task("Compute 1024 / 16.", ("64",)),
    Task("What is 999 - 123?", ("876",)),
    Task("What is 15 * 15?", ("225",)),
    Task("Calculate 4567 + 1234.", ("5801",)),
    Task("What is 100 / 8?", ("12.5",)),
    Task("What is (12 + 8) * 3?", ("60",)),
    Task("What is 12345 - 6789?", ("5556",)),
    Task("What is 64 * 64?", ("4096",)),
    Task("What is 7 * 8 * 9?", ("504",)),
    Task("What is 48 / 6?", ("8",)),
]


def is_correct(task: Task, answer: str | None) -> bool:
    """One expected value appears in the answer as a whole number or word (case-insensitive).

    ``8`` matches ``The answer is 8.`` and ``8.0`` but not ``18``, ``8.5`` or ``800``.
    """
    if not answer:
        return False
    for value in task.expected:
        pattern = rf"(?<![\w.]){re.escape(value)}(?:\.0+)?(?![\w]|\.\d|,\d)"
        if re.search(pattern, answer, re.IGNORECASE):
            return True
    return False
