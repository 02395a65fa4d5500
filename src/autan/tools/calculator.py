"""``calculator``: arithmetic on numbers, evaluated by walking the syntax tree (no ``eval``)."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Annotated, cast

from pydantic import Field

from autan.tools._decorator import tool

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Number], Number]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
MAX_EXPONENT = 10_000
MAX_DIGITS = 4_300


class CalculatorError(ValueError):
    """An expression that is not plain arithmetic, or that cannot be computed."""


def evaluate(expression: str) -> Number:
    """Compute ``expression`` made of numbers, + - * / // % ** and parentheses."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise CalculatorError(f"not an arithmetic expression: {expression!r}") from None
    return _evaluate(tree.body)


def _evaluate(node: ast.expr) -> Number:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return cast(Number, node.value)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        return _apply(type(node.op), left, right)
    raise CalculatorError(f"unsupported element: {ast.unparse(node)!r}")


def _apply(kind: type[ast.operator], left: Number, right: Number) -> Number:
    if kind is ast.Pow and abs(right) > MAX_EXPONENT:
        raise CalculatorError(f"exponent {right} is too large")
    try:
        result = _BINARY[kind](left, right)
    except ZeroDivisionError:
        raise CalculatorError("division by zero") from None
    except OverflowError:
        raise CalculatorError("result is too large") from None
    if isinstance(result, complex):
        raise CalculatorError("result is not a real number")
    if isinstance(result, int) and result.bit_length() > MAX_DIGITS * 3.33:
        raise CalculatorError("result is too large")
    return result


def format_number(value: Number) -> str:
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return str(value)


# Character classes instead of escapes: llama.cpp's grammar parser rejects some escapes.
_OPERAND = r"[(]*-?[0-9]+([.][0-9]+)?[)]*"
_OPERATOR = r" ?([*][*]|//|[-+*/%]) ?"
Expression = Annotated[
    str, Field(pattern=f"^{_OPERAND}({_OPERATOR}{_OPERAND})*$", min_length=1, max_length=200)
]


@tool
def calculator(expression: Expression) -> str:
    """Evaluate an arithmetic expression, e.g. 12 * (3 + 4).

    Args:
        expression: numbers with + - * / // % ** and parentheses
    """
    return format_number(evaluate(expression))
