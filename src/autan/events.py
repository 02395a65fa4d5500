"""Typed records of what happened in a run, in order. A run's journal is a list of these."""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from autan.messages import ToolCall, ToolChoice, Usage


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event. ``kind`` names the record in JSON output."""

    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **dataclasses.asdict(self)}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Event:
        """Rebuild an event from ``to_dict()`` output, also after a JSON round trip.

        Only the event records defined here are built, from plain values: nothing named in the
        data is imported or called. Raises ``ValueError`` on an unknown type or missing fields.
        """
        target = _event_types().get(str(data.get("type")))
        if target is None:
            raise ValueError(f"unknown event type {data.get('type')!r}")
        hints = _field_hints(target)
        try:
            values = {
                f.name: _decode(hints[f.name], data[f.name])
                for f in dataclasses.fields(target)
                if f.name in data
            }
            return target(**values)
        except (TypeError, ValueError, KeyError, IndexError) as error:
            raise ValueError(f"malformed {target.kind} event: {error}") from None


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
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class ToolCalled(Event):
    kind: ClassVar[str] = "tool_call"
    step: int
    call: ToolCall


@dataclass(frozen=True, slots=True)
class ToolStarted(Event):
    """A validated call is about to run. ``key`` is its idempotency key (see ``idempotency_key``).

    Journaled before the tool runs: a ``ToolStarted`` with no ``ToolResulted`` after it marks a
    call that may or may not have had its effect when the process died.
    """

    kind: ClassVar[str] = "tool_started"
    step: int
    call_id: str
    name: str
    key: str


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
class ApprovalRequested(Event):
    """A validated call of a ``needs_approval`` tool waits for a person; the run pauses here."""

    kind: ClassVar[str] = "approval_requested"
    step: int
    call_id: str
    name: str
    key: str


@dataclass(frozen=True, slots=True)
class ApprovalDecided(Event):
    """A person's decision on the pending call, appended by ``approve``/``deny``."""

    kind: ClassVar[str] = "approval_decided"
    step: int
    call_id: str
    approved: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CodeStarted(Event):
    """Code mode: the Python block of this step starts in a fresh sandbox. The tool calls it
    makes follow as ``ToolCalled``/``ToolResulted`` events, then ``CodeFinished``."""

    kind: ClassVar[str] = "code_started"
    step: int
    code: str


@dataclass(frozen=True, slots=True)
class CodeFinished(Event):
    """Code mode: how the step's block ended (``error`` is ``None`` when it did not fail);
    ``answered`` when it called ``final_answer(answer)``."""

    kind: ClassVar[str] = "code_finished"
    step: int
    stdout: str
    stderr: str
    error: str | None
    answered: bool
    answer: Any
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


@functools.cache
def _event_types() -> dict[str, type[Event]]:
    return {cls.kind: cls for cls in Event.__subclasses__()}


_HINTS: dict[type[Event], dict[str, Any]] = {}


def _field_hints(cls: type[Event]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(hint: Any, value: Any) -> Any:
    """Turn a JSON value back into the field's type: records, and tuples of them."""
    if hint is Usage:
        return Usage(**value)
    if hint is ToolCall:
        return ToolCall(str(value["id"]), str(value["name"]), dict(value["arguments"]))
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_decode(item, element) for element in value)
    return value
