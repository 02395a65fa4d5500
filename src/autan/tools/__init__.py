"""Tools: ``@tool`` builds a ``Tool`` from a typed function."""

from autan.tools._answer_type import AnswerInvalid, AnswerType, answer_type, schema_answer_type
from autan.tools._context import idempotency_key
from autan.tools._decorator import tool
from autan.tools._provenance import has_side_effects, trust_of
from autan.tools._schema import without_titles
from autan.tools._server_requests import ReplyAction
from autan.tools._tool import Tool, ToolArgumentsError, render_output
from autan.tools._trust import TRUSTS, Trust, check_trust

__all__ = [
    "TRUSTS",
    "AnswerInvalid",
    "AnswerType",
    "ReplyAction",
    "Tool",
    "ToolArgumentsError",
    "Trust",
    "answer_type",
    "check_trust",
    "has_side_effects",
    "idempotency_key",
    "render_output",
    "schema_answer_type",
    "tool",
    "trust_of",
    "without_titles",
]
