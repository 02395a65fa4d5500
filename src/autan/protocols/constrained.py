"""The ``constrained`` protocol: tools shown as one-line signatures, output forced to JSON.

For models without native tool calling. Each step the model emits a call
``{"tool": NAME, "arguments": {...}}`` (several calls: one per line) or ``{"result": TEXT}``; a
JSON Schema built from the tools' own schemas (turned into a llama.cpp grammar by the backend)
makes anything else impossible: no unknown tool, no argument that breaks its schema. Servers
constrained by ``response_format`` take one JSON value, so there a step holds one call. Pure
functions, no I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any

from autan.messages import INVALID_CALL, Message, ToolCall, ToolChoice, ToolSpec
from autan.protocols.base import CallFormat, JsonOutput, OutputConstraint, ToolProtocol
from autan.protocols.signature import COMPACT
from autan.protocols.signature import signature as render_signature
from autan.protocols.untrusted import shown

# Wording and key measured on SmolLM2-135M over benchmarks/one_tool_tasks.py (see BENCHMARKS.md):
# "result" echoes the "Result: ..." observation, and a quoted "TEXT" keeps the answer clean.
ANSWER_KEY = "result"
REPLY_FORMAT = (
    'Reply with JSON only: {"tool": NAME, "arguments": {...}} to call a tool, '
    f'or {{"{ANSWER_KEY}": "TEXT"}} to give the final answer.'
)
TEXT_REPLY_FORMAT = (
    'To call a tool, reply with JSON only: {"tool": NAME, "arguments": {...}}. '
    "Otherwise reply with your answer in plain words."
)
"""The reply format of the opt-in ``text-answer`` decoding (``autan.models.decoding``): it names
no answer placeholder, which a small model copies ("TEXT"); the answer is plain text, which only
a backend that forces a grammar can tell from a call (issue 18, benchmarks/everyday.py)."""
CALL_FORMAT = CallFormat(
    lead='{"tool": "',
    middle='", "arguments": ',
    closing="}",
    separator="\n",
    starts=("{", '{"'),
)
"""How ``render_calls`` writes a call, for decoders that choose its parts one by one."""
MAX_CALLS_PER_STEP = 8
_DECODER = json.JSONDecoder()
_NOT_BLANK = re.compile(r"[^ \t\r\n]")
_CALL_START = re.compile(r'\s*\{\s*"tool"\s*:')
CUT_CALL = "the call was cut off before it ended (a value too long?); write a shorter call"
ANSWER_ONLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {ANSWER_KEY: {"type": "string", "minLength": 1, "maxLength": 400}},
    "required": [ANSWER_KEY],
    "additionalProperties": False,
}


def system_block(
    instructions: str, tools: tuple[ToolSpec, ...], reply_format: str = REPLY_FORMAT
) -> str:
    """Instructions, then the tools in the order given, then the reply format. Stable per agent."""
    if not tools:
        return instructions
    lines = [instructions, "Tools:"]
    lines += [f"- {signature(spec)}" for spec in tools]
    lines.append(reply_format)
    return "\n".join(lines)


def signature(spec: ToolSpec) -> str:
    """``name(arg: type, ...) - description``: a fraction of the tokens of the full schema."""
    return render_signature(spec, COMPACT)


def render_messages(
    messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]
) -> list[dict[str, str]]:
    """The transcript as plain chat messages; every earlier message renders the same each step."""
    return CONSTRAINED.render_messages(messages, tools)


def render_calls(calls: tuple[ToolCall, ...]) -> str:
    """The calls as the model emits them: one object per line."""
    return "\n".join(
        json.dumps({"tool": call.name, "arguments": call.arguments}, ensure_ascii=False)
        for call in calls
    )


def render_result(message: Message) -> str:
    # Measured on SmolLM2-135M (benchmarks/finishing.py): a plain "Result:" user turn is copied
    # into the answer far more often than a "tool" role turn or "NAME returned:".
    return f"Result: {shown(message)}"


def output_schema(
    tools: tuple[ToolSpec, ...], choice: ToolChoice, answer: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON Schema every output must satisfy at this step; ``answer``: a typed answer's."""
    calls = [_call_schema(spec) for spec in tools]
    if choice == "none" or not calls:
        return answer_schema(answer)
    if choice == "required":
        return _with_definitions({"anyOf": calls}, tools)
    typed = answer_schema(answer)
    options = [*calls, {k: v for k, v in typed.items() if k != "$defs"}]
    return _with_definitions({"anyOf": options}, tools, typed.get("$defs", {}))


def answer_schema(answer: dict[str, Any] | None) -> dict[str, Any]:
    """The answer object, ``{"result": TEXT}``, or ``{"result": <answer>}`` for a typed answer
    (its ``$defs`` moved to the top, where its references point)."""
    if answer is None:
        return ANSWER_ONLY_SCHEMA
    value = {k: v for k, v in answer.items() if k != "$defs"}
    schema = {
        "type": "object",
        "properties": {ANSWER_KEY: value},
        "required": [ANSWER_KEY],
        "additionalProperties": False,
    }
    return {**schema, "$defs": answer["$defs"]} if answer.get("$defs") else schema


def call_schema(tools: tuple[ToolSpec, ...]) -> dict[str, Any] | None:
    """The JSON Schema of one call to any of ``tools``: each line of a reply with several calls."""
    if not tools:
        return None
    return _with_definitions({"anyOf": [_call_schema(spec) for spec in tools]}, tools)


def _with_definitions(
    schema: dict[str, Any], tools: tuple[ToolSpec, ...], more: dict[str, Any] | None = None
) -> dict[str, Any]:
    definitions = {k: v for spec in tools for k, v in spec.parameters.get("$defs", {}).items()}
    definitions.update(more or {})
    return {**schema, "$defs": definitions} if definitions else schema


def parse_output(text: str, step: int) -> tuple[str, tuple[ToolCall, ...]]:
    """The answer text and tool calls in one output. An answer cut off mid-JSON is salvaged as
    an answer; a call cut off before it closed (a value that ran to the token limit) is an
    invalid call the model is told about, never an answer."""
    values = _json_values(text)
    if values is None:
        if _CALL_START.match(text):
            return "", (ToolCall(f"call_{step}_invalid_0", INVALID_CALL, {"problem": CUT_CALL}),)
        return _salvage_answer(text), ()
    if len(values) > 1 and all(_is_call(value) for value in values):
        if len(values) > MAX_CALLS_PER_STEP:
            problem = f"more than {MAX_CALLS_PER_STEP} tool calls in one reply"
            return "", (ToolCall(f"call_{step}_invalid_0", INVALID_CALL, {"problem": problem}),)
        return "", _calls(_unique(values), step)
    data = values[0] if len(values) == 1 else None
    if _is_call(data):
        return "", _calls([data], step)
    if isinstance(data, dict) and ANSWER_KEY in data:
        answer = data[ANSWER_KEY]
        return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False), ()
    return text, ()


def _json_values(text: str) -> list[Any] | None:
    """The JSON values ``text`` holds one after another (blanks between), or ``None``."""
    values: list[Any] = []
    position = _skip_blanks(text, 0)
    try:
        while position < len(text) and len(values) <= MAX_CALLS_PER_STEP:
            value, position = _DECODER.raw_decode(text, position)
            values.append(value)
            position = _skip_blanks(text, position)
    except (ValueError, RecursionError):
        pass  # cut off or not JSON: what came before it stands
    return values or None


def _skip_blanks(text: str, position: int) -> int:
    found = _NOT_BLANK.search(text, position)
    return found.start() if found else len(text)


def _unique(calls: list[Any]) -> list[Any]:
    """The calls without exact repeats: a small model that goes on after its call tends to
    write the same call again, which can only return the same result."""
    seen: set[str] = set()
    kept = []
    for call in calls:
        key = json.dumps(call, sort_keys=True)
        if key not in seen:
            seen.add(key)
            kept.append(call)
    return kept


def _is_call(item: object) -> bool:
    """An object naming a tool: a call, or a failed attempt at one (a name that is not a string)."""
    if not isinstance(item, dict):
        return False
    return isinstance(item.get("tool"), str) or ("tool" in item and ANSWER_KEY not in item)


def _calls(objects: list[Any], step: int) -> tuple[ToolCall, ...]:
    return tuple(_call(item, f"call_{step}_{index}") for index, item in enumerate(objects))


def _call(item: dict[str, Any], call_id: str) -> ToolCall:
    """The call ``item`` names; an ``INVALID_CALL`` saying why when its name is not a string
    or its arguments are not an object."""
    name, arguments = item["tool"], item.get("arguments")
    if not isinstance(name, str):
        problem = f"a tool call's name must be a string (got {type(name).__name__})"
    elif arguments is not None and not isinstance(arguments, dict):
        problem = f"arguments of {name!r} are not a JSON object"
    else:
        return ToolCall(call_id, name, arguments or {})
    return ToolCall(call_id, INVALID_CALL, {"problem": problem})


def _call_schema(spec: ToolSpec) -> dict[str, Any]:
    parameters = {key: value for key, value in spec.parameters.items() if key != "$defs"}
    return {
        "type": "object",
        "properties": {"tool": {"const": spec.name}, "arguments": parameters},
        "required": ["tool", "arguments"],
        "additionalProperties": False,
    }


def _salvage_answer(text: str) -> str:
    compact = text.strip()
    start = re.match(rf'^{{\s*"{ANSWER_KEY}"\s*:\s*"', compact)
    return compact[start.end() :].rstrip('"} ') if start else compact


class ConstrainedProtocol(ToolProtocol):
    """``text_answers``: the opt-in variant of the ``text-answer`` decoding (``TEXT_REPLY_FORMAT``,
    answers in plain text); the default is the JSON answer ``{"result": ...}``."""

    name = "constrained"

    def __init__(self, text_answers: bool = False) -> None:
        self.text_answers = text_answers

    def system_block(self, instructions: str, tools: tuple[ToolSpec, ...]) -> str:
        reply_format = TEXT_REPLY_FORMAT if self.text_answers else REPLY_FORMAT
        return system_block(instructions, tools, reply_format)

    def with_text_answers(self) -> ToolProtocol:
        return CONSTRAINED_TEXT_ANSWERS

    def render_result(self, message: Message) -> dict[str, str]:
        return {"role": "user", "content": render_result(message)}

    def render_calls(self, message: Message) -> str:
        return render_calls(message.tool_calls)

    def constraint(
        self,
        tools: tuple[ToolSpec, ...],
        choice: ToolChoice,
        answer: dict[str, Any] | None = None,
    ) -> OutputConstraint:
        """With tools: a call (or several, one per line) or an answer (in the ``text_answers``
        variant: plain text, where the backend forces a grammar, unless the answer is typed);
        after a repeated call (``none``): only an answer; with no tools, free text, or a typed
        answer's object."""
        if not self.text_answers or answer is not None:
            if choice == "none" or (not tools and answer is not None):
                return JsonOutput(answer_schema(answer))
            if not tools:
                return None
            schema = output_schema(tools, choice, answer)
            return JsonOutput(schema, call_schema(tools), calls=CALL_FORMAT)
        if choice == "none":
            return JsonOutput(ANSWER_ONLY_SCHEMA, text_answer=True)
        if not tools:
            return None
        text = choice != "required"
        schema = output_schema(tools, choice)
        return JsonOutput(schema, call_schema(tools), text_answer=text, calls=CALL_FORMAT)

    def parse(self, text: str, step: int) -> tuple[str, tuple[ToolCall, ...]]:
        return parse_output(text, step)


CONSTRAINED = ConstrainedProtocol()
CONSTRAINED_TEXT_ANSWERS = ConstrainedProtocol(text_answers=True)
