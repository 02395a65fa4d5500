"""The embedded model's answer after an MCP time result, for each way of showing the result.

    flock /tmp/autan-model.lock env PYTHONPATH=src python benchmarks/mcp_answer_probe.py [ZONE...]

The first step is scripted as the call the model itself makes (``get_current_time`` with the
zone, 3 runs of 3 through ``autan run``); the answer step is SmolLM2-135M's, through
``mcp-server-time``. Variants of the constrained protocol's ``Result:`` turn: ``current`` (the
untrusted-data note, then the delimited result), ``note_after`` (the note after the closing
delimiter), ``plain`` (the result bare, as a trusted server's). One line of JSON per answer.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import autan.protocols.constrained as constrained
from autan import Agent, load_model, mcp_tools
from autan.messages import Message, ModelRequest, ModelResponse, ToolCall
from autan.models.base import Model
from autan.protocols import untrusted


class FirstCallThenModel(Model):
    name = "probe"

    def __init__(self, model: Model, arguments: dict[str, Any]) -> None:
        self.model, self.arguments, self.calls = model, arguments, 0

    def complete(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        if self.calls == 1:
            return ModelResponse(tool_calls=(ToolCall("c1", "get_current_time", self.arguments),))
        return self.model.complete(request)


def note_after(message: Message) -> str:
    if message.trusted:
        return f"Result: {message.content}"
    source = untrusted.escape(message.source or "unknown").replace('"', "'")
    opened = untrusted.OPEN.format(source=source)
    text = untrusted.escape(message.content)
    return f"Result: {opened}\n{text}\n{untrusted.CLOSE}\n{untrusted.NOTE}"


VARIANTS = {
    "current": constrained.render_result,
    "note_after": note_after,
    "plain": lambda message: f"Result: {message.content}",
}


def main() -> None:
    zones = sys.argv[1:] or ["Asia/Tokyo", "Europe/Paris", "America/New_York"]
    model = load_model("local")
    with mcp_tools(f"{sys.executable} -m mcp_server_time --local-timezone UTC") as tools:
        for zone in zones:
            for name, render in VARIANTS.items():
                constrained.render_result = render  # looked up at each render
                agent = Agent(FirstCallThenModel(model, {"timezone": zone}), tools)
                started = time.perf_counter()
                output = agent.run(f"What is the current time in {zone}?").output
                seconds = round(time.perf_counter() - started, 2)
                print(json.dumps({"zone": zone, "variant": name, "answer": output, "s": seconds}))


if __name__ == "__main__":
    main()
