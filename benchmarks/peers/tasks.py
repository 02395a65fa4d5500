"""The multi-step task set: two small tools and 20 tasks, each solved by one tool call.

Standard library only: the peers' workers import it inside their own virtual environments.
Every task offers both tools (``get_weather`` and ``calculator``); the first two are the issue's
weather lookup and arithmetic question. A task is solved when its final answer contains one of
the ``expected`` values: a whole number, a temperature in Celsius, or a word (``is_correct``).
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


def _digits(value: str) -> str:
    """``3367`` also as ``3,367``; ``12.5`` also as ``12.50``; ``8`` also as ``8.0``."""
    forms = [re.escape(value)]
    if value.isdigit() and len(value) > 3:
        forms.append(re.escape(f"{int(value):,}"))
    tail = r"0*" if "." in value else r"(?:\.0+)?"
    return rf"(?<![\w.,-])(?:{'|'.join(forms)}){tail}"


def number(value: str) -> str:
    """``8`` as a whole number: matches ``is 8.`` and ``8.0``, not ``18``, ``8.5`` or ``800``."""
    return _digits(value) + r"(?![\w]|[.,]\d)"


def celsius(value: int) -> str:
    """A temperature: ``18 °C``, ``18°C``, ``18C``, ``18 degrees``, ``18 Celsius``; not ``18°F``."""
    return _digits(str(value)) + r"\s*(?:°\s*C|degrees|celsius|C\b)"


def word(value: str) -> str:
    return rf"\b{re.escape(value)}\b"


@dataclass(frozen=True)
class Task:
    prompt: str
    expected: tuple[str, ...]
    """Regular expressions (case-insensitive); the answer is correct when one of them is found."""


TASKS: list[Task] = [
    Task("What is the weather in Paris?", (celsius(18), word("light rain"))),
    Task("What is 37 * 91?", (number("3367"),)),
    Task("What is the temperature in Tokyo in degrees Celsius?", (celsius(23),)),
    Task("How warm is it in Cairo right now?", (celsius(34),)),
    Task("What is the current temperature in Oslo?", (celsius(4),)),
    Task("What is the weather like in Oslo?", (celsius(4), word("snow"))),
    Task("What are the weather conditions in London?", (word("cloudy"),)),
    Task("Tell me the weather in Lima.", (celsius(19), word("fog"))),
    Task("What is the temperature in Sydney?", (celsius(27),)),
    Task("What is 125 + 389?", (number("514"),)),
    Task("Compute 1024 / 16.", (number("64"),)),
    Task("What is 999 - 123?", (number("876"),)),
    Task("What is 15 * 15?", (number("225"),)),
    Task("Calculate 4567 + 1234.", (number("5801"),)),
    Task("What is 100 / 8?", (number("12.5"),)),
    Task("What is (12 + 8) * 3?", (number("60"),)),
    Task("What is 12345 - 6789?", (number("5556"),)),
    Task("What is 64 * 64?", (number("4096"),)),
    Task("What is 7 * 8 * 9?", (number("504"),)),
    Task("What is 48 / 6?", (number("8"),)),
]


def is_correct(task: Task, answer: str | None) -> bool:
    """The final answer holds an expected value (see ``number``, ``celsius``, ``word``)."""
    return bool(answer) and any(
        re.search(pattern, answer or "", re.IGNORECASE) for pattern in task.expected
    )
