"""Code actions, the pure part: the prompt, finding the code in a reply, the effects the loop
yields to run it, and what the model reads of its run. No I/O (the driver runs the sandbox).

In code mode the model answers each step with a Python block. The block runs in a fresh
sandbox; the agent's tools are functions in it, each call coming back to the loop as a
``CodeCall`` that is validated, limited and journaled like any tool call; ``final_answer(x)``
ends the run with ``x``. A reply with no code in it is the final answer, as in tools mode.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autan.messages import ToolSpec

STDOUT_CHARS = 1500
STDERR_CHARS = 600

_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
}


@dataclass(frozen=True, slots=True)
class StartCode:
    """Run ``code`` in a fresh sandbox; the driver sends back its first ``CodeCall`` or its
    ``CodeEnded``."""

    step: int
    code: str


@dataclass(frozen=True, slots=True)
class ReplyToCode:
    """Answer the running code's pending call; the driver sends back the next message."""

    output: str
    is_error: bool


@dataclass(frozen=True, slots=True)
class CodeCall:
    """A tool call the code made, as it arrived: not yet validated."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CodeEnded:
    """How a block ended. ``error`` is ``None`` when it ran to its end without failing."""

    stdout: str
    stderr: str
    error: str | None
    answered: bool
    answer: Any
    seconds: float


CodeMessage = CodeCall | CodeEnded


def system_prompt(instructions: str, tools: Sequence[ToolSpec]) -> str:
    """Instructions, the tools as Python signatures, and how to answer. Stable per agent."""
    lines = [instructions, "Reply with Python code in one ```python block."]
    if tools:
        lines.append("Functions you can call:")
        lines += [python_signature(spec) for spec in tools]
    lines.append("print() what you need to see; call final_answer(value) to give the answer.")
    return "\n".join(lines)


def python_signature(spec: ToolSpec) -> str:
    """``def name(arg: type, ...)  # description``."""
    properties: dict[str, Any] = spec.parameters.get("properties", {})
    required = set(spec.parameters.get("required", []))
    arguments = ", ".join(
        f"{name}: {_type(schema)}{'' if name in required else ' = ' + _default(schema)}"
        for name, schema in properties.items()
    )
    summary = spec.description.strip().splitlines()[0] if spec.description.strip() else ""
    return f"def {spec.name}({arguments})" + (f"  # {summary}" if summary else "")


def parameter_names(spec: ToolSpec) -> list[str]:
    return list(spec.parameters.get("properties", {}))


def extract_code(text: str) -> str | None:
    """The Python in a reply: its fenced blocks, else the whole text if it parses as Python
    and is not a lone constant or name (``42`` is an answer, not code); ``None`` otherwise."""
    blocks = [block.strip("\n") for block in _FENCE.findall(text) if block.strip()]
    if blocks:
        return "\n".join(blocks)
    candidate = text.strip()
    try:
        tree = ast.parse(candidate)
    except (SyntaxError, ValueError):
        return None
    if not tree.body or _is_plain_value(tree):
        return None
    return candidate


def observation(ended: CodeEnded) -> str:
    """What the model reads after a block that did not answer."""
    parts = []
    if ended.stdout.strip():
        parts.append("Output:\n" + _head(ended.stdout.strip(), STDOUT_CHARS))
    if ended.error is not None:
        detail = ended.stderr.strip()[-STDERR_CHARS:] or ended.error
        parts.append(f"Error ({ended.error}):\n{detail}")
    if not parts:
        parts.append("The code printed nothing. print() results, or call final_answer(value).")
    return "\n".join(parts)


def answer_text(value: Any) -> str:
    """``final_answer``'s value as the run's output."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _is_plain_value(tree: ast.Module) -> bool:
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return False
    value = tree.body[0].value
    if isinstance(value, ast.UnaryOp):
        value = value.operand
    return isinstance(value, ast.Constant | ast.Name)


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]"
    if "anyOf" in schema:
        return " | ".join(_type(option) for option in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array" and "items" in schema:
        return f"list[{_type(schema['items'])}]"
    return _PYTHON_TYPES.get(str(kind), "Any") if kind != "null" else "None"


def _default(schema: dict[str, Any]) -> str:
    return repr(schema["default"]) if "default" in schema else "None"


def _head(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [{len(text) - limit} more characters]"
