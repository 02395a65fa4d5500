"""Captured content in the shapes the GenAI conventions give ``gen_ai.input.messages``,
``gen_ai.output.messages`` and the tool-call attributes: JSON text."""

from __future__ import annotations

import json
import re
from typing import Any

from autan.events import CodeFinished, ModelResponded


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def user_message(text: str) -> str:
    return as_json([{"role": "user", "parts": [{"type": "text", "content": text}]}])


def answer(text: str) -> str:
    parts = [{"type": "text", "content": text}]
    return as_json([{"role": "assistant", "parts": parts, "finish_reason": "stop"}])


def reply(event: ModelResponded) -> str:
    parts: list[dict[str, Any]] = []
    if event.reasoning:
        parts.append({"type": "reasoning", "content": event.reasoning})
    if event.text:
        parts.append({"type": "text", "content": event.text})
    for call in event.tool_calls:
        parts.append(
            {"type": "tool_call", "id": call.id, "name": call.name, "arguments": call.arguments}
        )
    message = {"role": "assistant", "parts": parts, "finish_reason": event.finish_reason}
    return as_json([message])


def code_result(event: CodeFinished) -> str:
    result: dict[str, Any] = {"stdout": event.stdout, "stderr": event.stderr}
    if event.answered:
        result["answer"] = event.answer
    return as_json(result)


_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Timeout))\b")


def error_type(error: str) -> str:
    """A low-cardinality ``error.type`` for a code block's error text: the exception's class
    name where the text starts with one, else ``code_error``."""
    match = _EXCEPTION.match(error.strip())
    return match.group(1) if match else "code_error"
