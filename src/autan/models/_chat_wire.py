"""Chat-completions wire format: ModelRequest → JSON payload, JSON → ModelResponse. Pure, no I/O.

A native protocol sends ``tools``/``tool_choice`` and reads ``tool_calls``; a prompted one
(``constrained``, ``text``, ``code``) renders the tools into the prompt, constrains the reply with
``response_format`` where it allows only JSON, and parses the calls from the text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from autan.errors import ServerError
from autan.messages import INVALID_CALL, Message, ModelRequest, ModelResponse, ToolCall, Usage
from autan.models.providers import Provider, ResponseFormatStyle
from autan.models.reasoning import ReasoningPolicy, send_back, split_think
from autan.protocols import JsonOutput, ToolProtocol, WireChoice
from autan.protocols.untrusted import shown


def payload(
    request: ModelRequest,
    model: str,
    provider: Provider,
    protocol: ToolProtocol,
    policy: ReasoningPolicy,
    stream: bool,
    format_style: ResponseFormatStyle | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }
    allowed = protocol.constraint(request.tools, request.tool_choice, request.answer_schema)
    if isinstance(allowed, JsonOutput):
        style = format_style or provider.response_format
        body["response_format"] = _response_format(allowed.schema, style)
    if protocol.prompted:
        body["messages"] = protocol.render_messages(request.messages, request.tools)
    else:
        body["messages"] = [_native_message(m, provider, policy) for m in request.messages]
        tools, choice = protocol.offered(request.tools, request.tool_choice, request.answer_schema)
        if tools:
            body["tools"] = [_tool(spec.name, spec.description, spec.parameters) for spec in tools]
            body["tool_choice"] = _tool_choice(choice)
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def parse(
    data: dict[str, Any],
    protocol: ToolProtocol,
    step: int,
    request: ModelRequest | None = None,
) -> ModelResponse:
    """A non-streamed completion as a ModelResponse (``seconds`` is filled in by the caller);
    ``request``: the one it answers, whose typed answer a native protocol takes out."""
    try:
        choice = data["choices"][0]
        message = choice["message"]
        if not isinstance(message, dict):
            raise TypeError("the message is not an object")
    except (KeyError, IndexError, TypeError):
        raise ServerError(f"unexpected response shape: {_preview(data)}") from None
    calls = tuple(
        _wire_call(raw, index, step) for index, raw in enumerate(_listed(message.get("tool_calls")))
    )
    return _response(
        message.get("content") or "",
        message.get("reasoning_content") or message.get("reasoning") or "",
        calls,
        usage(data.get("usage")),
        data.get("model", ""),
        choice.get("finish_reason") or "stop",
        protocol,
        step,
        request,
    )


def usage(raw: dict[str, Any] | None) -> Usage:
    if not raw:
        return Usage()
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    return Usage(
        int(raw.get("prompt_tokens") or 0),
        int(raw.get("completion_tokens") or 0),
        int(prompt_details.get("cached_tokens") or raw.get("prompt_cache_hit_tokens") or 0),
        int(completion_details.get("reasoning_tokens") or 0),
    )


@dataclass
class StreamAssembler:
    """Builds one ModelResponse from streamed chunks; tool-call deltas are joined by index."""

    protocol: ToolProtocol
    step: int
    request: ModelRequest | None = None
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str = "stop"

    def feed(self, chunk: dict[str, Any]) -> tuple[str, str]:
        """Take one chunk; returns its ``(text, reasoning)`` pieces for display."""
        self.model = chunk.get("model") or self.model
        if chunk.get("usage"):
            self.usage = usage(chunk["usage"])
        text, thinking = "", ""
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            text += delta.get("content") or ""
            thinking += delta.get("reasoning_content") or delta.get("reasoning") or ""
            for raw in delta.get("tool_calls") or []:
                self._merge_call(raw)
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
        self.text.append(text)
        self.reasoning.append(thinking)
        return text, thinking

    def response(self) -> ModelResponse:
        calls = tuple(
            _call(raw.get("id"), raw.get("malformed", raw), index, self.step)
            for index, raw in sorted(self.calls.items())
        )
        return _response(
            "".join(self.text),
            "".join(self.reasoning),
            calls,
            self.usage,
            self.model,
            self.finish_reason,
            self.protocol,
            self.step,
            self.request,
        )

    def _merge_call(self, raw: Any) -> None:
        """Join a call's pieces; a piece that is not an object is kept, for ``_call`` to refuse."""
        index = _index(raw.get("index") if isinstance(raw, dict) else None, len(self.calls))
        call = self.calls.setdefault(index, {"id": None, "name": "", "arguments": ""})
        function = (raw.get("function") or {}) if isinstance(raw, dict) else raw
        if not isinstance(function, dict):
            call.setdefault("malformed", function)
            return
        call["id"] = raw.get("id") or call["id"]
        call["name"] = _joined(call["name"], function.get("name"))
        call["arguments"] = _joined(call["arguments"], function.get("arguments"))


def _response(
    content: str,
    reasoning: str,
    calls: tuple[ToolCall, ...],
    used: Usage,
    model: str,
    finish: str,
    protocol: ToolProtocol,
    step: int,
    request: ModelRequest | None,
) -> ModelResponse:
    text, inline = split_think(content)
    reasoning = "\n".join(part for part in (reasoning.strip(), inline) if part)
    if protocol.prompted:
        text, calls = protocol.parse(text, step)
    elif request is not None:
        text, calls = protocol.answer_of(text, calls, request.tools, request.answer_schema)
    return ModelResponse(text, calls, used, 0.0, model, finish, reasoning)


def _listed(calls: Any) -> list[Any]:
    """A message's ``tool_calls``: anything but a list is one malformed call."""
    if not calls:
        return []
    return calls if isinstance(calls, list) else [calls]


def _index(value: Any, new: int) -> int:
    """A streamed call's ``index``; ``new`` (a call of its own) when it is none or not a number."""
    if isinstance(value, str) and value.isdecimal():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else new


def _joined(so_far: Any, piece: Any) -> Any:
    """A streamed name or arguments piece added to what came before: strings are concatenated;
    the first piece that is not a string is kept as it is, for ``_call`` to refuse."""
    if piece is None or piece == "" or not isinstance(so_far, str):
        return so_far
    return so_far + piece if isinstance(piece, str) else piece


def _wire_call(raw: Any, index: int, step: int) -> ToolCall:
    if not isinstance(raw, dict):
        return _call(None, raw, index, step)
    return _call(raw.get("id"), raw.get("function", {}), index, step)


def _call(call_id: Any, function: Any, index: int, step: int) -> ToolCall:
    """A call from the wire. Unparsable arguments become ``{}`` plus the raw text under
    ``__raw_arguments__`` so that validation fails with a message the model can act on; a call
    that is not an object, or whose name is not a string, is an ``INVALID_CALL`` saying so."""
    call_id = call_id if isinstance(call_id, str) and call_id else f"call_{step}_{index}"
    if not isinstance(function, dict):
        return _invalid(call_id, f"a tool call must be an object, not {_json_type(function)}")
    name = function.get("name") or ""
    if not isinstance(name, str):
        return _invalid(call_id, f"a tool call's name must be a string, not {_json_type(name)}")
    raw = function.get("arguments") or "{}"
    try:
        arguments = json.loads(raw) if isinstance(raw, str) else raw
    except (ValueError, RecursionError):
        arguments = {"__raw_arguments__": raw}
    if not isinstance(arguments, dict):
        arguments = {"__raw_arguments__": raw}
    return ToolCall(call_id, name, arguments)


def _invalid(call_id: str, problem: str) -> ToolCall:
    return ToolCall(call_id, INVALID_CALL, {"problem": problem})


def _json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words (never the value: it may be huge or deep)."""
    kinds = ((bool, "a boolean"), (int | float, "a number"), (str, "a string"), (list, "an array"))
    kind = next((word for cls, word in kinds if isinstance(value, cls)), None)
    return kind or ("null" if value is None else "an object")


def _native_message(
    message: Message, provider: Provider, policy: ReasoningPolicy
) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role, "content": shown(message)}
    if message.role == "assistant" and message.tool_calls:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in message.tool_calls
        ]
    keep_reasoning = send_back(policy, bool(message.tool_calls))
    if message.role == "assistant" and message.reasoning and keep_reasoning:
        wire["reasoning_content"] = message.reasoning
    if message.role == "tool":
        wire["tool_call_id"] = message.tool_call_id
        if provider.send_tool_name:
            wire["name"] = message.name
    return wire


def _tool(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def _tool_choice(choice: WireChoice) -> Any:
    if choice in ("auto", "required", "none"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _response_format(schema: dict[str, Any], style: ResponseFormatStyle) -> dict[str, Any]:
    if style == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}


def _preview(data: Any) -> str:
    text = json.dumps(data, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


def json_bytes(body: dict[str, Any]) -> bytes:
    """A request body encoded as httpx encodes ``json=``."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def as_chunk(completion: dict[str, Any]) -> dict[str, Any]:
    """A whole completion (from a server that ignored ``stream``) as one stream chunk."""
    choices = [
        {"delta": choice.get("message") or {}, "finish_reason": choice.get("finish_reason")}
        for choice in completion.get("choices") or []
    ]
    return {**completion, "choices": choices}
