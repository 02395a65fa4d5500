"""Typed records of what happened in a run, in order. A run's journal is a list of these."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from autan.messages import ToolCall, ToolChoice, Usage


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event. ``kind`` names the record in JSON output."""

    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True, slots=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    task: str
    model: str
    tools: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModelRequested(Event):
    kind: ClassVar[str] = "model_request"
    step: int
    messages: int
    tool_choice: ToolChoice


@dataclass(frozen=True, slots=True)
class TextDelta(Event):
    """A piece of model output as it is generated (only from ``Agent.stream``)."""

    kind: ClassVar[str] = "text_delta"
    step: int
    text: str


@dataclass(frozen=True, slots=True)
class ModelResponded(Event):
    kind: ClassVar[str] = "model_response"
    step: int
    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    seconds: float
    reasoning: str = ""


@dataclass(frozen=True, slots=True)
class ToolCalled(Event):
    kind: ClassVar[str] = "tool_call"
    step: int
    call: ToolCall


@dataclass(frozen=True, slots=True)
class ToolResulted(Event):
    """The observation a call produced. ``is_error`` marks validation failures and exceptions."""

    kind: ClassVar[str] = "tool_result"
    step: int
    call_id: str
    name: str
    output: str
    is_error: bool
    seconds: float


@dataclass(frozen=True, slots=True)
class FinalAnswer(Event):
    kind: ClassVar[str] = "final_answer"
    step: int
    output: str


@dataclass(frozen=True, slots=True)
class RunFailed(Event):
    """The run ended without an answer. ``error`` is the exception's class name."""

    kind: ClassVar[str] = "error"
    error: str
    message: str
