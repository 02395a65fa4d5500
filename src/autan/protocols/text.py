"""The ``text`` protocol's parsers: tool calls in the tagged formats open models emit.

Formats, as documented by the model families:

- Hermes / Qwen: ``<tool_call>{"name": …, "arguments": {…}}</tool_call>``, one block per call.
- Mistral: ``[TOOL_CALLS][{"name": …, "arguments": {…}}, …]``, or ``[TOOL_CALLS]name[ARGS]{…}``.
- Llama 3.x: ``<|python_tag|>{"name": …, "parameters": {…}}`` or the same JSON alone, several
  joined by ``;``.
- DeepSeek V3 / R1: ``<｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME`` then a fenced JSON block,
  then ``<｜tool▁call▁end｜>``.
- Plain JSON, bare or in a fenced block: ``{"name"|"tool": …, "arguments"|"parameters": {…}}``.

Reasoning (``<think>…</think>``) is removed first. Parsing never evaluates anything, never
raises on any input, and does not check arguments against schemas (the loop does, before any
tool runs): it only reports what the text asks for, plus problems found on the way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from autan.messages import INVALID_CALL, Message, ToolCall, ToolSpec
from autan.protocols.base import ToolProtocol
from autan.protocols.json_repair import UnparsableJSON, loads_lenient
from autan.protocols.untrusted import shown

MAX_CALLS = 64
"""Calls read from one reply at most; more is a problem reported to the model. Bounds the work a
reply full of broken calls can cause (each broken one costs a repair attempt)."""
_HERMES_OPEN, _HERMES_CLOSE = "<tool_call>", "</tool_call>"
FRAME = ("tool_response", "tool_call")
"""The tags this protocol frames results and calls in: escaped inside every result."""
_DECODER = json.JSONDecoder()
_NOT_BLANK = re.compile(r"[^ \t\r\n]")
_MISTRAL = "[TOOL_CALLS]"
_MISTRAL_ARGS = "[ARGS]"
_PYTHON_TAG = "<|python_tag|>"
_DEEPSEEK_CALL = re.compile(
    r"<｜tool▁call▁begin｜>\s*(?:function)?\s*<｜tool▁sep｜>\s*([^\s`]+)\s*(.*?)(?:<｜tool▁call▁end｜>|$)",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one model output asks for: free text, calls, and problems with the calls."""

    text: str
    calls: tuple[ToolCall, ...] = ()
    problems: tuple[str, ...] = field(default=())


def parse(output: str, step: int = 1) -> Parsed:
    """Calls in ``output``. The format is the one whose marker comes first (a marker inside a
    JSON string further on does not count); with no marker, plain JSON."""
    answer = _drop_reasoning(output)
    found = _find(answer)
    if found is None:
        return Parsed(answer.strip())
    payloads, text = found
    return _calls(payloads, text, step)


def _find(text: str) -> tuple[list[Any], str] | None:
    markers = {
        _HERMES_OPEN: _hermes,
        _MISTRAL: _mistral,
        "<｜tool▁call▁begin｜>": _deepseek,
        _PYTHON_TAG: _llama,
    }
    positions = {text.find(marker): finder for marker, finder in markers.items()}
    first = min((at for at in positions if at != -1), default=len(text))
    json_start = min((at for at in (text.find("{"), text.find("```")) if at != -1), default=-1)
    if json_start != -1 and json_start < first:
        found = _plain_json(text)
        if found is not None:
            return found
    return positions[first](text) if first != len(text) else None


def _drop_reasoning(text: str) -> str:
    """Remove reasoning that comes before the reply: a leading ``<think>…</think>`` block, or
    text ending in a lone ``</think>`` (R1 distills whose template opens the tag). A tag inside
    the reply, e.g. in a JSON string, is left alone."""
    stripped = text.lstrip()
    if stripped.startswith("<think>"):
        end = stripped.find("</think>")
        return "" if end == -1 else stripped[end + len("</think>") :]
    end = text.find("</think>")
    if end != -1 and not any(mark in text[:end] for mark in ("<think>", "{", "<tool_call>")):
        return text[end + len("</think>") :]
    return text


def _hermes(text: str) -> tuple[list[Any], str] | None:
    payloads: list[Any] = []
    prose: list[str] = []
    position = 0
    while (start := text.find(_HERMES_OPEN, position)) != -1 and _room(payloads):
        prose.append(text[position:start])
        value, end = _value_at(text, start + len(_HERMES_OPEN), _HERMES_CLOSE)
        payloads.append(value)
        position = _skip_close(text, end, _HERMES_CLOSE)
    prose.append(text[position:])
    return payloads, "".join(prose)


def _mistral(text: str) -> tuple[list[Any], str] | None:
    before, _, rest = text.partition(_MISTRAL)
    payloads: list[Any] = []
    position = 0
    while position < len(rest) and _room(payloads):
        position = _mistral_call(rest, position, payloads)
        next_marker = rest.find(_MISTRAL, position)
        if next_marker == -1:
            break
        position = next_marker + len(_MISTRAL)
    if not payloads:
        payloads.append(_Unparsable("nothing after [TOOL_CALLS]"))
    return payloads, before


def _mistral_call(text: str, position: int, payloads: list[Any]) -> int:
    """One ``[{…}, …]`` list or one ``name[ARGS]{…}`` call at ``position``; returns its end."""
    start = _after_blanks(text, position)
    if text.startswith(("[", "{"), start):
        loaded, end = _value_at(text, start, _MISTRAL)
        payloads.extend(loaded if isinstance(loaded, list) else [loaded])
        return end
    name_end = text.find(_MISTRAL_ARGS, start)
    if name_end == -1:
        payloads.append(_Unparsable("a [TOOL_CALLS] call without [ARGS]"))
        return len(text)
    arguments, end = _value_at(text, name_end + len(_MISTRAL_ARGS), _MISTRAL)
    payloads.append({"name": text[start:name_end].strip(), "arguments": arguments})
    return end


def _deepseek(text: str) -> tuple[list[Any], str] | None:
    payloads: list[Any] = []
    for match in _DEEPSEEK_CALL.finditer(text):
        if not _room(payloads):
            break
        payloads.append({"name": match[1], "arguments": _first_value(match[2])})
    if not payloads:
        return None
    return payloads, text.split("<｜tool▁calls▁begin｜>")[0].split("<｜tool▁call▁begin｜>")[0]


def _llama(text: str) -> tuple[list[Any], str] | None:
    if _PYTHON_TAG not in text:
        return None
    before, _, rest = text.partition(_PYTHON_TAG)
    payloads: list[Any] = []
    position = 0
    while position < len(rest) and _room(payloads):
        value, position = _value_at(rest, position, ";")
        payloads.append(value)
        position = _after_blanks(rest, _skip_close(rest, position, ";"))
    return payloads, before


def _plain_json(text: str) -> tuple[list[Any], str] | None:
    """Bare JSON, or JSON in ``` fences, that looks like one call or a list of calls."""
    values, prose = _fenced(text) if "```" in text else _bare(text)
    payloads = [value for value in values if _looks_like_call(value)]
    if not payloads:
        return None
    flat: list[Any] = []
    for payload in payloads:
        flat.extend(payload if isinstance(payload, list) else [payload])
    return flat, prose


def _bare(text: str) -> tuple[list[Any], str]:
    start = text.find("{")
    if start == -1:
        return [], text
    return [_value_at(text, start, "")[0]], text[:start]


def _fenced(text: str) -> tuple[list[Any], str]:
    values: list[Any] = []
    prose: list[str] = []
    position = 0
    while (start := text.find("```", position)) != -1 and _room(values):
        prose.append(text[position:start])
        body = start + 3
        if text.startswith("json", body):
            body += 4
        value, end = _value_at(text, body, "```")
        values.append(value)
        position = _skip_close(text, end, "```")
    prose.append(text[position:])
    return values, "".join(prose)


def _calls(payloads: list[Any], text: str, step: int) -> Parsed:
    calls: list[ToolCall] = []
    problems: list[str] = []
    if len(payloads) > MAX_CALLS:
        payloads = [*payloads[:MAX_CALLS], _Unparsable(f"more than {MAX_CALLS} tool calls")]
    for payload in payloads:
        call = _call(payload, step, len(calls))
        if isinstance(call, str):
            problems.append(call)
        else:
            calls.append(call)
    return Parsed(text.strip(), tuple(calls), tuple(problems))


def _call(payload: Any, step: int, index: int) -> ToolCall | str:
    if isinstance(payload, _Unparsable):
        return f"unparsable tool call: {payload.reason}"
    if not isinstance(payload, dict):
        return "a tool call must be a JSON object with a name and arguments"
    if isinstance(payload.get("function"), dict):
        payload = payload["function"]
    name = payload.get("name", payload.get("tool"))
    if not isinstance(name, str) or not name:
        return "a tool call has no name"
    arguments = payload.get("arguments", payload.get("parameters", {}))
    if isinstance(arguments, str):
        arguments = _load(arguments)
    if not isinstance(arguments, dict):
        return f"arguments of {name!r} are not a JSON object"
    return ToolCall(str(payload.get("id") or f"call_{step}_{index}"), name, arguments)


@dataclass(frozen=True, slots=True)
class _Unparsable:
    reason: str


def _load(text: str) -> Any:
    try:
        return loads_lenient(text)
    except UnparsableJSON as error:
        return _Unparsable(str(error))


def _value_at(text: str, start: int, closing: str) -> tuple[Any, int]:
    """The JSON value that starts at ``start`` (after blanks) and where it ends. Valid JSON is
    read exactly, so markers inside its strings are harmless; otherwise the text up to
    ``closing`` is repaired."""
    index = _after_blanks(text, start)
    try:
        return _DECODER.raw_decode(text, index)
    except (json.JSONDecodeError, RecursionError):
        pass
    end = text.find(closing, index) if closing else -1
    end = len(text) if end == -1 else end
    return _load(text[index:end]), end


def _skip_close(text: str, position: int, closing: str) -> int:
    """Past ``closing`` if only blanks come before it, else ``position`` unchanged."""
    index = _after_blanks(text, position)
    return index + len(closing) if text.startswith(closing, index) else position


def _after_blanks(text: str, position: int) -> int:
    """The index of the first character from ``position`` on that is not a blank."""
    found = _NOT_BLANK.search(text, position)
    return found.start() if found else len(text)


def _room(payloads: list[Any]) -> bool:
    if len(payloads) < MAX_CALLS:
        return True
    if not (payloads and isinstance(payloads[-1], _Unparsable)):
        payloads.append(_Unparsable(f"more than {MAX_CALLS} tool calls in one reply"))
    return False


def _first_value(text: str) -> Any:
    values = _fenced(text)[0] if "```" in text else [_value_at(text, 0, "")[0]]
    return values[0] if values else _Unparsable("no JSON after the tool name")


def _looks_like_call(payload: Any) -> bool:
    if isinstance(payload, list):
        return bool(payload) and all(_looks_like_call(item) for item in payload)
    return isinstance(payload, dict) and (
        isinstance(payload.get("name"), str)
        or isinstance(payload.get("tool"), str)
        or isinstance(payload.get("function"), dict)
    )


TOOL_FORMAT = (
    "To call a tool, reply with <tool_call>"
    '{"name": NAME, "arguments": {...}}</tool_call> (one block per call); '
    "otherwise reply with the answer."
)


def system_block(instructions: str, tools: tuple[ToolSpec, ...]) -> str:
    """Hermes-style: the tools' JSON Schemas inside ``<tools>``, in a stable order."""
    if not tools:
        return instructions
    listed = "\n".join(
        json.dumps({"name": t.name, "description": t.description, "parameters": t.parameters})
        for t in tools
    )
    return f"{instructions}\nTools:\n<tools>\n{listed}\n</tools>\n{TOOL_FORMAT}"


def render_messages(
    messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]
) -> list[dict[str, str]]:
    """The transcript as plain chat messages: calls as ``<tool_call>`` blocks, results as
    ``<tool_response>`` user turns."""
    return TEXT.render_messages(messages, tools)


def parse_output(output: str, step: int) -> tuple[str, tuple[ToolCall, ...]]:
    """Answer text and calls; each problem becomes an ``INVALID_CALL`` for the loop to report."""
    parsed = parse(output, step)
    problems = tuple(
        ToolCall(f"call_{step}_invalid_{n}", INVALID_CALL, {"problem": problem})
        for n, problem in enumerate(parsed.problems)
    )
    return parsed.text, parsed.calls + problems


def _joined(text: str, blocks: str) -> str:
    return f"{text}\n{blocks}" if text else blocks


class TextProtocol(ToolProtocol):
    name = "text"

    def system_block(self, instructions: str, tools: tuple[ToolSpec, ...]) -> str:
        return system_block(instructions, tools)

    def render_result(self, message: Message) -> dict[str, str]:
        return {
            "role": "user",
            "content": f"<tool_response>{shown(message, FRAME)}</tool_response>",
        }

    def render_calls(self, message: Message) -> str:
        blocks = "\n".join(
            f"<tool_call>{json.dumps({'name': c.name, 'arguments': c.arguments})}</tool_call>"
            for c in message.tool_calls
        )
        return _joined(message.content, blocks)

    def parse(self, text: str, step: int) -> tuple[str, tuple[ToolCall, ...]]:
        return parse_output(text, step)


TEXT = TextProtocol()
