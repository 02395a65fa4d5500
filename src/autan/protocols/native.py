"""The ``native`` protocol: the server's own tool calling (``tools``, ``tool_calls``).

Nothing is shown in the prompt and nothing is parsed from text: the backend sends the tools in
its API's fields and reads the calls from its wire format.
"""

from __future__ import annotations

import json

from autan.messages import Message, ToolSpec
from autan.protocols.base import ToolProtocol
from autan.protocols.untrusted import shown


class NativeProtocol(ToolProtocol):
    name = "native"
    prompted = False
    streams_readable_text = True

    def system_block(self, instructions: str, tools: tuple[ToolSpec, ...]) -> str:
        return instructions

    def render_result(self, message: Message) -> dict[str, str]:
        return {"role": "tool", "content": shown(message)}

    def render_calls(self, message: Message) -> str:
        calls = [{"name": c.name, "arguments": c.arguments} for c in message.tool_calls]
        return json.dumps(calls, ensure_ascii=False)


NATIVE = NativeProtocol()
