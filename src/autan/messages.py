"""Plain records exchanged between the loop, the models and the tools. No behaviour, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]

ToolChoice = Literal["auto", "required", "none"]
"""What the model may emit at a step: a call or an answer, only a call, or only an answer."""


INVALID_CALL = "__invalid_call__"
"""Name of a ToolCall standing for output that tried to call a tool but could not be read;
its ``arguments["problem"]`` says why, and the loop shows that to the model."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call the model asked for: a tool name and its (not yet validated) arguments."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of the transcript."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    reasoning: str = ""
    """A reasoning model's thinking before this turn; sent back or not per the model's policy."""
    source: str = ""
    """A tool result's source (``Tool.source``)."""
    trusted: bool = True
    """``False``: text from an untrusted source, shown to the model inside delimiters."""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """What a model is told about a tool: its name, what it does, and its JSON Schema."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one model call, or a sum. ``cached_tokens`` is part of ``prompt_tokens``."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    """Part of ``completion_tokens`` spent on reasoning."""
    estimated: bool = False
    """Counted by autan because the server reported none (a sum: if any part was)."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.estimated or other.estimated,
        )


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """Everything a model needs for one completion."""

    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice = "auto"
    max_tokens: int = 256
    temperature: float = 0.0
    code_block: bool = False
    """The reply must be one fenced ```python block (code actions, the ``code`` protocol);
    backends that can constrain their output (the embedded llama.cpp, by a grammar) force it,
    others are only asked."""
    step: int = 1
    """The run's step this request is for (call ids are numbered by it)."""
    timeout_seconds: float | None = None
    """The most seconds the backend may take for this request: what is left of the run's
    wall-clock limit (``Limits.max_wall_seconds``) when the loop asks; ``None``: no bound of
    the run's. A backend stops when it passes and raises ``ModelTimeout``."""
    answer_schema: dict[str, Any] | None = None
    """The JSON Schema of a typed answer (``Agent(output_type=...)``); ``None``: the answer is
    text. Backends hand it to their protocol's ``constraint``."""


@dataclass(frozen=True, slots=True)
class ModelResponse:
    """What a model produced: text, tool calls, or both, with usage and timing."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    model: str = ""
    finish_reason: str = "stop"
    reasoning: str = ""
    """Reasoning the model produced before its answer or calls; never part of ``text``."""
    cost_usd: float = 0.0
    """What this call cost at the model's price; 0 for local models and unknown prices."""
