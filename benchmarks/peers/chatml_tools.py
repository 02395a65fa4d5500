"""Chat messages with tools as SmolLM2's ChatML prompt, and a reply's text as tool calls. Pure.

The format is the one SmolLM2-Instruct learnt function calling in (its model card, from
Argilla's Synth-APIGen data, as Ollama's ``smollm2`` template renders it): the tools as JSON
inside ``<tools>…</tools>`` in the system turn, the calls as a JSON list inside
``<tool_call>[…]</tool_call>``, and each tool result as a user turn inside
``<tool_response>…</tool_response>``.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from typing import Any

DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
"""The system turn the model's own template adds when a conversation has none."""
TOOLS_SYSTEM = """\
You are an expert in composing functions. You are given a question and a set of possible \
functions.
Based on the question, you will need to make one or more function/tool calls to achieve the \
purpose.
If none of the functions can be used, point it out and refuse to answer.
If the given question lacks the parameters required by the function, also point it out.

You have access to the following tools:
<tools>{tools}</tools>

The output MUST strictly adhere to the following format, and NO other text MUST be included.
The example format is as follows. Please make sure the parameter type is correct. If no \
function call is needed, please make the tool calls an empty list '[]'.
<tool_call>[
{{"name": "func_name1", "arguments": {{"argument1": "value1", "argument2": "value2"}}}},
... (more tool calls as required)
]</tool_call>"""
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
END = "<|im_end|>"
_BLOCK = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)


def text_of(content: Any) -> str:
    """A message's content as text: a string, null, or a list of ``{"type": "text"}`` parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in content
        )
    return str(content)


def offered_tools(tools: list[dict[str, Any]] | None, choice: Any) -> list[dict[str, Any]]:
    """The functions the model may call under ``tool_choice`` (none, auto, required, named)."""
    functions = [t["function"] for t in tools or [] if t.get("type", "function") == "function"]
    if choice == "none":
        return []
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        return [f for f in functions if f.get("name") == wanted]
    return functions


def render_prompt(
    messages: list[dict[str, Any]], functions: list[dict[str, Any]], forced: bool = False
) -> str:
    """The ChatML prompt, ending with the open assistant turn (and ``<tool_call>`` when forced)."""
    system = [text_of(m.get("content")) for m in messages if m.get("role") in _SYSTEM_ROLES]
    turns = [_system_turn(system, functions)]
    turns += [_turn(m) for m in messages if m.get("role") not in _SYSTEM_ROLES]
    prompt = "".join(turns) + "<|im_start|>assistant\n"
    return prompt + CALL_OPEN if forced else prompt


_SYSTEM_ROLES = ("system", "developer")


def _system_turn(system: list[str], functions: list[dict[str, Any]]) -> str:
    parts = []
    if functions:
        listed = [
            {"name": f.get("name"), "description": f.get("description", ""),
             "parameters": f.get("parameters") or {"type": "object", "properties": {}}}
            for f in functions
        ]  # fmt: skip
        parts.append(TOOLS_SYSTEM.format(tools=json.dumps(listed)))
    parts += [text for text in system if text]
    return _chatml("system", "\n\n".join(parts) or DEFAULT_SYSTEM)


def _turn(message: dict[str, Any]) -> str:
    role = message.get("role", "user")
    content = text_of(message.get("content"))
    if role == "tool":
        return _chatml("user", f"<tool_response>\n{content}\n</tool_response>")
    if role == "assistant" and message.get("tool_calls"):
        calls = [_call_json(call) for call in message["tool_calls"]]
        block = f"{CALL_OPEN}[\n" + ",\n".join(calls) + f"\n]{CALL_CLOSE}"
        return _chatml("assistant", f"{content}\n{block}" if content else block)
    return _chatml("assistant" if role == "assistant" else "user", content)


def _call_json(call: dict[str, Any]) -> str:
    function = call.get("function") or {}
    arguments = function.get("arguments") or "{}"
    if isinstance(arguments, str):
        with contextlib.suppress(json.JSONDecodeError):
            arguments = json.loads(arguments)
    return json.dumps({"name": function.get("name"), "arguments": arguments})


def _chatml(role: str, content: str) -> str:
    return f"<|im_start|>{role}\n{content}{END}\n"


def parse_reply(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The reply's plain text and its calls ``{"name", "arguments": dict}``.

    Calls are read from ``<tool_call>`` blocks (an unclosed last block too), or from a reply
    that is nothing but such a JSON list or object; text that holds no readable call stays text.
    """
    blocks = _BLOCK.findall(text)
    if not blocks:
        calls = _calls_in(text) if text.strip().startswith(("[", "{")) else None
        return ("", calls) if calls else (text.strip(), [])
    calls = [call for block in blocks for call in _calls_in(block) or []]
    outside = _BLOCK.sub("", text).strip()
    if not calls and any(block.strip() not in ("", "[]") for block in blocks):
        return text.strip(), []
    return outside, calls


def _calls_in(text: str) -> list[dict[str, Any]] | None:
    """The calls in one block of JSON, or None if it holds none."""
    values = _json_values(text.strip())
    calls = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            call = _call(item)
            if call:
                calls.append(call)
    return calls or None


def _json_values(text: str) -> list[Any]:
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    decoder, values, index = json.JSONDecoder(), [], 0
    while (start := _next_json(text, index)) >= 0:
        try:
            value, index = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            index = start + 1
            continue
        values.append(value)
    return values


def _next_json(text: str, index: int) -> int:
    positions = [p for p in (text.find("{", index), text.find("[", index)) if p >= 0]
    return min(positions, default=-1)


def _call(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None
    arguments = item.get("arguments", item.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None
    return {"name": item["name"], "arguments": arguments if isinstance(arguments, dict) else {}}


def forced_calls_schema(functions: list[dict[str, Any]]) -> dict[str, Any]:
    """JSON Schema of a non-empty list of calls to ``functions``, each with its arguments. The
    parameters' ``$defs`` move to the root, where their ``#/$defs/…`` references point (left
    inside, llama.cpp cannot resolve them and the grammar falls back to the names only)."""
    definitions: dict[str, Any] = {}
    variants = []
    for f in functions:
        parameters = dict(f.get("parameters") or {"type": "object"})
        definitions.update(parameters.pop("$defs", None) or {})
        variants.append(
            {
                "type": "object",
                "properties": {"name": {"const": f.get("name")}, "arguments": parameters},
                "required": ["name", "arguments"],
            }
        )
    item = variants[0] if len(variants) == 1 else {"anyOf": variants}
    schema: dict[str, Any] = {"type": "array", "items": item, "minItems": 1}
    return {**schema, "$defs": definitions} if definitions else schema


def message_for(content: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The OpenAI ``message`` of a reply: ``tool_calls`` with ids and JSON-string arguments."""
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
            }
            for call in calls
        ]
    elif not content:
        message["content"] = ""
    return message
