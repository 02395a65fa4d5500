"""Typed records of what happened in a run, in order. A run's journal is a list of these."""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, cast

from autan.messages import ToolCall, ToolChoice, Usage

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event. ``kind`` names the record in JSON output."""

    kind: ClassVar[str] = "event"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            cleaned = encodable(value)
            if cleaned is not value:
                object.__setattr__(self, f.name, cleaned)

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


def encodable(value: T) -> T:
    """``value`` with every string in it encodable as UTF-8: each lone surrogate becomes U+FFFD.

    Text from a model, a tool or a sandbox can hold one (JSON's ``"\\ud800"``, a file name that is
    not UTF-8 decoded with ``surrogateescape``); the journal and the terminal cannot write it.
    Walks records (dataclasses), dicts, lists and tuples; what needs no change is returned as it
    is. Every event applies it to its fields, and the driver to each outcome it sends the loop.
    """
    if isinstance(value, str):
        return cast(T, _encodable_text(value))
    if isinstance(value, dict | list | tuple):
        return cast(T, _encodable_tree(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name)
            new = encodable(old)
            if new is not old:
                changes[f.name] = new
        return cast(T, dataclasses.replace(value, **changes)) if changes else value
    return value


def _encodable_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # UTF-16 holds lone surrogates as code units; decoding joins a split pair, replaces the rest
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


_Tree = dict[Any, Any] | list[Any] | tuple[Any, ...]


def _encodable_tree(root: _Tree) -> _Tree:
    """``encodable`` for dicts, lists and tuples, without recursion: JSON from outside can nest
    deeper than the stack. A container is rebuilt after its items, and only if one changed."""
    done: dict[int, Any] = {}
    opened: set[int] = set()
    pending: list[Any] = [root]
    while pending:
        node = pending[-1]
        if id(node) not in opened:
            opened.add(id(node))
            pending.extend(i for i in _items(node) if _is_tree(i) and id(i) not in opened)
            continue
        pending.pop()
        if id(node) not in done:
            done[id(node)] = _rebuilt(node, done)
    return cast(_Tree, done[id(root)])


def _is_tree(value: Any) -> bool:
    return isinstance(value, dict | list | tuple)


def _items(node: _Tree) -> list[Any]:
    if isinstance(node, dict):
        return [*node.keys(), *node.values()]
    return list(node)


def _rebuilt(node: _Tree, done: dict[int, Any]) -> _Tree:
    def clean(item: Any) -> Any:
        return done.get(id(item), item) if _is_tree(item) else encodable(item)

    if isinstance(node, dict):
        pairs = [(clean(k), clean(v)) for k, v in node.items()]
        same = all(k is a and v is b for (k, v), (a, b) in zip(pairs, node.items(), strict=True))
        return node if same else dict(pairs)
    items = [clean(item) for item in node]
    if all(a is b for a, b in zip(items, node, strict=True)):
        return node
    return items if isinstance(node, list) else tuple(items)
