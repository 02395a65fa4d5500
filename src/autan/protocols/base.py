"""The protocol interface: how tools are shown to a model, what output it may produce, how that
output becomes calls, and how results are fed back. Pure: a protocol never does I/O.

Backends hold a protocol object and ask it; they never compare protocol names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from autan.messages import Message, ToolCall, ToolChoice, ToolSpec
from autan.protocols.untrusted import shown


@dataclass(frozen=True, slots=True)
class CallFormat:
    """How a call is written, for decoders that choose its parts one by one: ``opening(name)``,
    the arguments (a value of the tool's parameters schema), ``closing``; calls of one reply
    are separated by ``separator``; ``starts``: the texts of the tokens a call may begin with."""

    lead: str
    middle: str
    closing: str
    separator: str
    starts: tuple[str, ...]

    def opening(self, name: str) -> str:
        return f"{self.lead}{name}{self.middle}"

    def is_call(self, text: str) -> bool:
        """Whether ``text`` opens like a call (blanks aside: a grammar lets them vary)."""
        return "".join(text.split()).startswith("".join(self.lead.split()))


@dataclass(frozen=True, slots=True)
class JsonOutput:
    """Each reply is one value of ``schema``; with ``line``, it may instead be several values of
    ``line``, one per line (several calls in one step).

    ``text_answer``: a backend that forces a grammar lets the answer be plain text (anything
    that does not begin like a call) instead of the schema's answer value; servers constrained
    by the schema alone keep the value. ``calls``: how each call is written (``line``'s form)."""

    schema: dict[str, Any]
    line: dict[str, Any] | None = None
    text_answer: bool = False
    calls: CallFormat | None = None


@dataclass(frozen=True, slots=True)
class GrammarOutput:
    """Each reply matches a GBNF grammar (llama.cpp's); servers that take none are only asked."""

    gbnf: str


OutputConstraint = JsonOutput | GrammarOutput | None
"""What output a step allows; ``None``: anything (the model is only asked)."""

WireChoice = str
"""A server's ``tool_choice``: a ``ToolChoice``, or the name of the one tool it must call."""


class ToolProtocol(ABC):
    """One way of calling tools. ``prompted``: the tools are shown in the prompt and calls are
    read from the reply's text; otherwise (native) the backend uses its API's own tool fields."""

    name: ClassVar[str]
    prompted: ClassVar[bool] = True
    streams_readable_text: ClassVar[bool] = False
    """Whether a reply's text reads well as it streams (an answer, code), not a call format."""

    @abstractmethod
    def system_block(self, instructions: str, tools: tuple[ToolSpec, ...]) -> str:
        """The system text: instructions, then the tools as this protocol shows them. Stable per
        agent, so that every step's prompt starts with the same tokens."""

    @abstractmethod
    def render_result(self, message: Message) -> dict[str, str]:
        """A tool result (a ``tool`` message) as the chat message the model reads."""

    @abstractmethod
    def render_calls(self, message: Message) -> str:
        """An assistant turn that made calls, as the model would have written it."""

    def constraint(
        self,
        tools: tuple[ToolSpec, ...],
        choice: ToolChoice,
        answer: dict[str, Any] | None = None,
    ) -> OutputConstraint:
        """What output the step allows; ``answer`` is the JSON Schema of a typed answer
        (``ModelRequest.answer_schema``), ``None`` for a text answer."""
        return None

    def with_text_answers(self) -> ToolProtocol:
        """The variant whose answers are plain text, for the opt-in ``text-answer`` decoding of
        backends that force a grammar; this protocol itself where its answers already are."""
        return self

    def with_answer_tool(self) -> ToolProtocol:
        """The variant that takes a typed answer as a call to a final tool, for servers without
        JSON-schema output; this protocol itself where the answer is not a server's field."""
        return self

    def offered(
        self, tools: tuple[ToolSpec, ...], choice: ToolChoice, answer: dict[str, Any] | None
    ) -> tuple[tuple[ToolSpec, ...], WireChoice]:
        """The tools a native backend sends, and its ``tool_choice``, for a step whose typed
        answer is ``answer``."""
        return tools, choice

    def answer_of(
        self,
        text: str,
        calls: tuple[ToolCall, ...],
        tools: tuple[ToolSpec, ...],
        answer: dict[str, Any] | None,
    ) -> tuple[str, tuple[ToolCall, ...]]:
        """The text and calls of a native backend's reply, with a typed answer taken out of
        the server's fields it came in."""
        return text, calls

    def parse(self, text: str, step: int) -> tuple[str, tuple[ToolCall, ...]]:
        """The answer text and the calls in one reply."""
        return text, ()

    def render_messages(
        self, messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]
    ) -> list[dict[str, str]]:
        """The transcript as plain chat messages; every earlier message renders the same each
        step (append-only prompts keep the prefix caches warm)."""
        rendered: list[dict[str, str]] = []
        for message in messages:
            if message.role == "system":
                content = self.system_block(message.content, tools)
                rendered.append({"role": "system", "content": content})
            elif message.role == "assistant" and message.tool_calls:
                rendered.append({"role": "assistant", "content": self.render_calls(message)})
            elif message.role == "tool":
                rendered.append(self.render_result(message))
            else:
                rendered.append({"role": message.role, "content": shown(message)})
        return rendered
