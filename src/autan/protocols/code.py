"""The ``code`` protocol (code actions): the model answers each step with one Python block.

The tools are shown as Python signatures; the block runs in a sandbox where they are functions,
and ``final_answer(x)`` ends the run. A reply with no code in it is the final answer. What the
model reads after a block is ``observation``. Pure functions, no I/O.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import Any

from autan.messages import Message, ToolChoice, ToolSpec
from autan.protocols.base import GrammarOutput, OutputConstraint, ToolProtocol
from autan.protocols.signature import PYTHON, signature
from autan.protocols.untrusted import shown

STDOUT_CHARS = 1500
STDERR_CHARS = 600

CODE_BLOCK_GBNF = r"""
root ::= "```python\n" line line* "```"
line ::= [^`\n]* "\n"
"""
"""One fenced Python block and nothing after it (no backticks inside)."""

_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


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
    return signature(spec, PYTHON)


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


def observation(stdout: str, stderr: str, error: str | None) -> str:
    """What the model reads after a block that did not answer (``error``: how it failed)."""
    parts = []
    if stdout.strip():
        parts.append("Output:\n" + _head(stdout.strip(), STDOUT_CHARS))
    if error is not None:
        detail = stderr.strip()[-STDERR_CHARS:] or error
        parts.append(f"Error ({error}):\n{detail}")
    if not parts:
        parts.append("The code printed nothing. print() results, or call final_answer(value).")
    return "\n".join(parts)


def repeated_failure(first_step: int) -> str:
    """Said after ``observation`` when a failing block is one that failed before."""
    return (
        f"This is the same code as in step {first_step}, and it failed again. Running it once "
        "more will fail the same way: change the code to fix the error, or call "
        "final_answer(value) with what you know."
    )


def answer_text(value: Any) -> str:
    """``final_answer``'s value as the run's output."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class CodeProtocol(ToolProtocol):
    name = "code"
    streams_readable_text = True

    def system_block(self, instructions: str, tools: tuple[ToolSpec, ...]) -> str:
        return system_prompt(instructions, tools)

    def render_result(self, message: Message) -> dict[str, str]:
        return {"role": "user", "content": shown(message)}

    def render_calls(self, message: Message) -> str:
        return message.content

    def constraint(
        self,
        tools: tuple[ToolSpec, ...],
        choice: ToolChoice,
        answer: dict[str, Any] | None = None,
    ) -> OutputConstraint:
        """One code block; a typed answer is ``final_answer``'s argument, checked by the loop."""
        return GrammarOutput(CODE_BLOCK_GBNF)


CODE = CodeProtocol()


def _is_plain_value(tree: ast.Module) -> bool:
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return False
    value = tree.body[0].value
    if isinstance(value, ast.UnaryOp):
        value = value.operand
    return isinstance(value, ast.Constant | ast.Name)


def _head(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [{len(text) - limit} more characters]"
