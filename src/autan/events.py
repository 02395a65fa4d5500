"""Typed records of what happened in a run, in order. A run's journal is a list of these."""

from __future__ import annotations

import dataclasses
import functools
import time
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

from autan.encodable import MAX_NESTING as MAX_NESTING
from autan.encodable import TOO_DEEP as TOO_DEEP
from autan.encodable import encodable as encodable
from autan.encodable import field_names
from autan.messages import ToolCall, ToolChoice, Usage

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event. ``kind`` names the record in JSON output.

    ``at`` is the Unix time the event was made, which is when it happened: the loop makes each
    event as the thing it records happens (a model call is bracketed by ``ModelRequested`` and
    ``ModelResponded``). ``0.0`` in events of journals written before events had times. It takes
    no part in equality: a resumed run's events equal the recorded ones whenever they happen.
    """

    kind: ClassVar[str] = "event"
    at: float = field(default_factory=time.time, kw_only=True, compare=False)

    def __post_init__(self) -> None:
        for name in field_names(type(self)):
            value = getattr(self, name)
            cleaned = encodable(value)
            if cleaned is not value:
                object.__setattr__(self, name, cleaned)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **dataclasses.asdict(self)}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Event:
        """Rebuild an event from ``to_dict()`` output, also after a JSON round trip.

        Only the event records defined here are built, from plain values of the types their
        fields declare: nothing named in the data is imported or called. Raises ``ValueError``
        on an unknown type, a missing field or a value of the wrong type.
        """
        target = _event_types().get(str(data.get("type")))
        if target is None:
            raise ValueError(f"unknown event type {data.get('type')!r}")
        if "at" not in data:  # journaled before events had times: unknown, not now
            data = {**data, "at": 0.0}
        try:
            return _record(target, data)
        except (TypeError, ValueError) as error:
            raise ValueError(f"malformed {target.kind} event: {error}") from None


@dataclass(frozen=True, slots=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    task: str
    model: str
    tools: tuple[str, ...]
    # Not compared: a journal written before agents had names (empty) still replays.
    agent: str = field(default="", compare=False)
    """The name of the agent that started the run (``Agent(name=...)``; empty in older
    journals)."""


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
    model: str = ""
    """The model that answered, as the backend reports it (``""`` in older journals)."""
    finish_reason: str = "stop"
    """Why the model stopped (``stop``, ``length``, ``tool_calls``…; ``stop`` in older journals)."""


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
class ChildRun:
    """A call that ran another agent (``Agent.as_tool``) as a run of its own: that run's id,
    the agent, and what it spent (its own child runs included), which the parent's totals
    include."""

    run_id: str
    agent: str
    usage: Usage
    cost_usd: float
    model_calls: int
    answered: bool


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
    # Not compared: a journal written before provenance (empty source) still replays.
    source: str = field(default="", compare=False)
    """The tool's source (``Tool.source``); empty in journals written before provenance."""
    trusted: bool = field(default=True, compare=False)
    child: ChildRun | None = None
    """The child run the call was, for a tool made by ``Agent.as_tool``."""


@dataclass(frozen=True, slots=True)
class ApprovalRequested(Event):
    """A validated call waits for a person (its tool ``needs_approval``, or the trust policy
    asks: ``reason``); the run pauses here."""

    kind: ClassVar[str] = "approval_requested"
    step: int
    call_id: str
    name: str
    key: str
    reason: str = ""
    """Why the call waits beyond its tool's ``needs_approval``: the trust policy's reason."""
    copied: tuple[str, ...] = ()
    """Argument text copied verbatim from untrusted results."""


@dataclass(frozen=True, slots=True)
class PolicyApplied(Event):
    """The trust policy stopped a call (``action``: ``approve`` or ``refuse``), and why."""

    kind: ClassVar[str] = "policy_applied"
    step: int
    call_id: str
    name: str
    action: str
    reason: str
    copied: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ApprovalDecided(Event):
    """A person's decision on the pending call, appended by ``approve``/``deny``."""

    kind: ClassVar[str] = "approval_decided"
    step: int
    call_id: str
    approved: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ServerSampled(Event):
    """A tool's server asked the agent's model for a completion during a call (MCP sampling):
    its messages (``"role: text"``), the reply, and what it cost; ``refused`` says why it got
    no reply (a limit of the run, a failure). Journaled as it is answered, before the server
    reads the reply: a resumed run answers the same request with it again."""

    kind: ClassVar[str] = "server_sampled"
    step: int
    call_id: str
    server: str
    messages: tuple[str, ...]
    reply: str
    usage: Usage
    cost_usd: float = 0.0
    refused: str = ""


@dataclass(frozen=True, slots=True)
class ElicitationRequested(Event):
    """A tool's server asked a person something during a call (MCP elicitation): the run
    pauses here until ``ElicitationAnswered``, then makes the call again."""

    kind: ClassVar[str] = "elicitation_requested"
    step: int
    call_id: str
    name: str
    key: str
    server: str
    message: str
    schema: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ElicitationAnswered(Event):
    """A person's answer to the pending question (``accept`` with ``content`` valid for its
    schema, ``decline`` or ``cancel``), appended by ``autan.store.answer``."""

    kind: ClassVar[str] = "elicitation_answered"
    step: int
    call_id: str
    action: str
    content: dict[str, Any] | None = None


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
class AnswerRejected(Event):
    """The model's answer did not validate as the agent's output type; ``error`` is what the
    model reads before it answers again."""

    kind: ClassVar[str] = "answer_rejected"
    step: int
    error: str


@dataclass(frozen=True, slots=True)
class HandedOff(Event):
    """The model transferred the conversation (``Agent(handoffs=...)``): from this step on,
    ``to_agent`` answers, with its own instructions, tools and model, and the history so far."""

    kind: ClassVar[str] = "handoff"
    step: int
    call_id: str
    from_agent: str
    to_agent: str


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


@dataclass(frozen=True, slots=True)
class TierStarted(Event):
    """A cascade (``autan.Cascade``) gave its task to tier ``tier`` (1 the cheapest): a run of
    its own, ``run_id``, journaled beside the cascade's."""

    kind: ClassVar[str] = "tier_started"
    tier: int
    run_id: str
    model: str


@dataclass(frozen=True, slots=True)
class ChildEvent(Event):
    """An event of a child run (a call of an ``Agent.as_tool`` or ``Cascade.as_tool`` tool) as
    its parent's stream yields it, while the call runs: ``run_id`` is the child's run (for a
    cascade, the cascade's: its tiers' events come between their ``TierStarted`` and
    ``TierEnded``), ``agent`` the tool's name, ``event`` what happened (a ``ChildEvent`` again
    for a grandchild's). Never journaled in the parent: the child's journal holds ``event``."""

    kind: ClassVar[str] = "child_event"
    run_id: str
    agent: str
    event: Event

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "run_id": self.run_id,
            "agent": self.agent,
            "event": self.event.to_dict(),
            "at": self.at,
        }

    @property
    def innermost(self) -> Event:
        """The event itself, under every child's mark."""
        event: Event = self.event
        while isinstance(event, ChildEvent):
            event = event.event
        return event

    @property
    def depth(self) -> int:
        """1 for a child's event, 2 for a grandchild's, and so on."""
        depth, event = 1, self.event
        while isinstance(event, ChildEvent):
            depth, event = depth + 1, event.event
        return depth


TierOutcome = Literal["answered", "escalated", "failed"]


@dataclass(frozen=True, slots=True)
class TierEnded(Event):
    """How a cascade's tier ended: it ``answered`` (the cascade's answer), ``escalated`` (the
    next tier takes the task) or ``failed`` (the cascade ends). ``reason``: why it did not
    answer (``limit``, ``tool_retries``, ``invalid_answer``, ``verifier``, ``model_error``, or
    the error's class name when that is no escalation reason); ``detail`` says more. The
    numbers are the tier run's: its cost, wall-clock seconds (first to last event), tokens."""

    kind: ClassVar[str] = "tier_ended"
    tier: int
    run_id: str
    model: str
    outcome: TierOutcome
    reason: str | None
    detail: str
    cost_usd: float
    seconds: float
    usage: Usage
    model_calls: int
    output: str | None = None
    """The tier's answer (its JSON text for a typed one), kept also when it escalated."""


@functools.cache
def _event_types() -> dict[str, type[Event]]:
    return {cls.kind: cls for cls in Event.__subclasses__()}


_HINTS: dict[type, dict[str, Any]] = {}


def _field_hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


R = TypeVar("R")


def _record(cls: type[R], data: object) -> R:
    """A record (an event, a ``ToolCall``, a ``Usage``) from a JSON object, each field checked."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__} is {_kind(data)}, not an object")
    hints = _field_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            try:
                values[f.name] = _decode(hints[f.name], data[f.name])
            except TypeError as error:
                raise TypeError(f"{f.name}: {error}") from None
    return cls(**values)


def _decode(hint: Any, value: Any) -> Any:
    """A JSON value as a field of type ``hint``; ``TypeError`` when it is of another type."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin is typing.Literal:
        if isinstance(value, str) and value in typing.get_args(hint):
            return value
        raise TypeError(f"{_kind(value)}, not one of {', '.join(typing.get_args(hint))}")
    if origin is types.UnionType or origin is typing.Union:
        for arm in typing.get_args(hint):
            try:
                return _decode(arm, value)
            except TypeError:
                pass
        raise TypeError(f"{_kind(value)}, not {hint}")
    if origin is tuple:  # a list after a JSON round trip, a tuple straight from to_dict()
        if not isinstance(value, list | tuple):
            raise TypeError(f"{_kind(value)}, not a list")
        item = typing.get_args(hint)[0]
        return tuple(_decode(item, element) for element in value)
    if origin is dict:
        return dict(_expect(dict, value))
    if hint is Event:  # a child's event, of any type: its own "type" says which
        return Event.from_dict(_expect(dict, value))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _record(hint, value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        raise TypeError("a boolean, not an integer")
    return _expect(hint, value)


def _expect(cls: type[R], value: object) -> R:
    if not isinstance(value, cls):
        raise TypeError(f"{_kind(value)}, not {'null' if cls is type(None) else cls.__name__}")
    return value


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
