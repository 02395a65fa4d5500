"""The ``native`` protocol: the server's own tool calling (``tools``, ``tool_calls``).

Nothing is shown in the prompt and nothing is parsed from text: the backend sends the tools in
its API's fields and reads the calls from its wire format. A typed answer is the server's
JSON-schema output (``response_format``), or, for servers without one, a final tool
(``NATIVE_ANSWER_TOOL``): either way its schema has an object at the root, as OpenAI-compatible
servers require (``answer_root``).
"""

from __future__ import annotations

import json
from typing import Any

from autan.messages import Message, ToolCall, ToolChoice, ToolSpec
from autan.protocols.answer_root import answer_text, needs_object_root, object_rooted, unwrapped
from autan.protocols.base import JsonOutput, OutputConstraint, ToolProtocol, WireChoice
from autan.protocols.constrained import ANSWER_KEY
from autan.protocols.untrusted import shown

ANSWER_TOOL = "final_answer"
ANSWER_TOOL_DESCRIPTION = "Give the final answer. Call this once the answer is known."


class NativeProtocol(ToolProtocol):
    """``answer_tool``: a typed answer is a call to a final tool whose parameters are its
    schema (for servers without ``response_format``), instead of the server's JSON output."""

    name = "native"
    prompted = False
    streams_readable_text = True

    def __init__(self, answer_tool: bool = False) -> None:
        self.answer_tool = answer_tool

    def system_block(self, instructions: str, tools: tuple[ToolSpec, ...]) -> str:
        return instructions

    def render_result(self, message: Message) -> dict[str, str]:
        return {"role": "tool", "content": shown(message)}

    def constraint(
        self,
        tools: tuple[ToolSpec, ...],
        choice: ToolChoice,
        answer: dict[str, Any] | None = None,
    ) -> OutputConstraint:
        """A typed answer is the server's JSON-schema output (``response_format``) with an
        object root; the calls still go through its tool fields."""
        if answer is None or choice == "required" or self.answer_tool:
            return None
        return JsonOutput(object_rooted(answer))

    def with_answer_tool(self) -> ToolProtocol:
        return NATIVE_ANSWER_TOOL

    def offered(
        self, tools: tuple[ToolSpec, ...], choice: ToolChoice, answer: dict[str, Any] | None
    ) -> tuple[tuple[ToolSpec, ...], WireChoice]:
        """With the answer tool, the answer is a call: it is offered beside the tools (none
        of them after a repeated call) and some call is required."""
        if answer is None or not self.answer_tool or choice == "required":
            return tools, choice
        final = ToolSpec(_answer_tool_name(tools), ANSWER_TOOL_DESCRIPTION, object_rooted(answer))
        if choice == "none" or not tools:
            return (final,), final.name
        return (*tools, final), "required"

    def answer_of(
        self,
        text: str,
        calls: tuple[ToolCall, ...],
        tools: tuple[ToolSpec, ...],
        answer: dict[str, Any] | None,
    ) -> tuple[str, tuple[ToolCall, ...]]:
        """The answer the server's reply holds: its JSON output unwrapped from the object
        root, or the answer tool's arguments (the other calls of that reply are dropped, as
        pydantic-ai's ``end_strategy="early"`` does)."""
        if answer is None:
            return text, calls
        name = _answer_tool_name(tools)
        final = next((c for c in calls if c.name == name), None) if self.answer_tool else None
        if final is not None:
            return answer_text(unwrapped(final.arguments, answer)), ()
        if calls or not needs_object_root(answer):
            return text, calls
        decoded = _decoded(text)
        if isinstance(decoded, dict) and set(decoded) == {ANSWER_KEY}:
            return answer_text(decoded[ANSWER_KEY]), ()
        return text, calls

    def render_calls(self, message: Message) -> str:
        calls = [{"name": c.name, "arguments": c.arguments} for c in message.tool_calls]
        return json.dumps(calls, ensure_ascii=False)


def _answer_tool_name(tools: tuple[ToolSpec, ...]) -> str:
    """``final_answer``, or with underscores added until no tool of the agent has the name."""
    taken = {spec.name for spec in tools}
    name = ANSWER_TOOL
    while name in taken:
        name += "_"
    return name


_NOT_JSON = object()


def _decoded(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


NATIVE = NativeProtocol()
NATIVE_ANSWER_TOOL = NativeProtocol(answer_tool=True)
