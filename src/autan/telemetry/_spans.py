"""A span as the journal knows it: plain data, before any OpenTelemetry type is involved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from autan.messages import Usage

AttributeValue = str | bool | int | float | list[str]
Attributes = dict[str, AttributeValue]


@dataclass(frozen=True, slots=True)
class SpanEvent:
    name: str
    at: float
    attributes: Attributes = field(default_factory=dict)


@dataclass(slots=True)
class SpanRecord:
    """One span: ``key`` names it within its run (``run``, ``chat:2``, ``tool:2:0``,
    ``code:2``) and, with the run id, makes its span id; ``parent`` is the parent's key.
    Times are Unix seconds from the journal's events. ``error`` is the ``error.type`` of a
    failed operation (the span's status is then ERROR, with ``message`` as its description)."""

    key: str
    name: str
    parent: str | None
    start: float
    kind: Literal["internal", "client", "server"] = "internal"
    end: float | None = None
    attributes: Attributes = field(default_factory=dict)
    events: list[SpanEvent] = field(default_factory=list)
    error: str | None = None
    message: str = ""

    def fail(self, error: str, message: str = "") -> None:
        self.error = error
        self.message = message
        self.attributes["error.type"] = error


def usage_attributes(usage: Usage) -> Attributes:
    """A model call's usage as the GenAI conventions name it."""
    return {
        "gen_ai.usage.input_tokens": usage.prompt_tokens,
        "gen_ai.usage.output_tokens": usage.completion_tokens,
        "gen_ai.usage.cache_read.input_tokens": usage.cached_tokens,
        "gen_ai.usage.reasoning.output_tokens": usage.reasoning_tokens,
        "autan.usage.estimated": usage.estimated,
    }
