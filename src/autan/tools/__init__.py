"""Tools: ``@tool`` builds a ``Tool`` from a typed function."""

from autan.tools._answer_type import AnswerInvalid, AnswerType, answer_type, schema_answer_type
from autan.tools._context import idempotency_key
from autan.tools._decorator import tool
from autan.tools._schema import without_titles
from autan.tools._tool import Tool, ToolArgumentsError, render_output

__all__ = [
    "AnswerInvalid",
    "AnswerType",
    "Tool",
    "ToolArgumentsError",
    "answer_type",
    "idempotency_key",
    "render_output",
    "schema_answer_type",
    "tool",
    "without_titles",
]
