"""The ``native`` protocol: the server's own tool calling (``tools``, ``tool_calls``).

Nothing is shown in the prompt and nothing is parsed from text: the backend sends the tools in
its API's fields and reads the calls from its wire format.
"""

from __future__ import annotations

import json
from typing import Any

from autan.messages import Message, ToolChoice, ToolSpec
from autan.protocols.base import JsonOutput, OutputConstraint, ToolProtocol
from autan.protocols.untrusted import shown


class NativeProtocol(ToolProtocol):
    name = "native"
    prompted = False
    streams_readable_text = True

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
        """A typed answer is the server's JSON-schema output (``response_format``); the calls
        still go through its tool fields."""
        return JsonOutput(answer) if answer is not None and choice != "required" else None

    def render_calls(self, message: Message) -> str:
        calls = [{"name": c.name, "arguments": c.arguments} for c in message.tool_calls]
        return json.dumps(calls, ensure_ascii=False)


NATIVE = NativeProtocol()
