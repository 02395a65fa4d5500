"""What a call's MCP server asked, as spans under the call's ``execute_tool`` span.

A request the server sends the client is, in the MCP semantic conventions, a ``server`` span
named for its method on the side that receives it: ``sampling/createMessage``, whose model
inference is a ``chat {model}`` client span (GenAI usage, cost, and with ``capture_content``
the messages), and ``elicitation/create``, from the question to a person's answer. Both carry
``mcp.method.name``; the server's name is ``autan.mcp.server``, a person's answer
``autan.elicitation.action``.
"""

from __future__ import annotations

from typing import Protocol

from autan.events import ElicitationAnswered, ElicitationRequested, ServerSampled, ToolStarted
from autan.messages import Usage
from autan.telemetry import _content as content
from autan.telemetry._spans import Attributes, SpanEvent, SpanRecord, usage_attributes

SAMPLING = "sampling/createMessage"
ELICITATION = "elicitation/create"


class TraceFold(Protocol):
    """What of ``_fold.TraceFold`` these handlers use."""

    open: dict[str, SpanRecord]
    common: Attributes
    capture: bool
    usage: Usage
    cost_usd: float
    busy_since: dict[str, float]
    samples: dict[str, int]
    answered: dict[str, float]

    def tool_key(self, step: int, call_id: str) -> str | None: ...
    def start(self, span: SpanRecord) -> SpanRecord: ...
    def end(self, key: str, at: float) -> SpanRecord | None: ...


def tool_started(fold: TraceFold, event: ToolStarted) -> None:
    """The call starts, or starts again with a person's answer: the question's span ends, at
    the answer's time. (It ends here, not at ``ElicitationAnswered``: the answer is journaled
    by another process, so a resumed run replays it and would never send the span.)"""
    key = fold.tool_key(event.step, event.call_id)
    if key is not None:
        fold.busy_since[key] = event.at
    asked = f"elicit:{event.step}:{event.call_id}"
    if asked in fold.open:
        fold.end(asked, fold.answered.pop(asked, event.at))


def server_sampled(fold: TraceFold, event: ServerSampled) -> None:
    """Both spans end at the sample's time (journaled as it was answered); they start where
    the call last did something (its start, or its previous sample)."""
    fold.usage = fold.usage + event.usage
    fold.cost_usd += event.cost_usd
    tool = fold.tool_key(event.step, event.call_id)
    if tool is None:
        return
    started = fold.busy_since.get(tool, fold.open[tool].start)
    fold.busy_since[tool] = event.at
    count = fold.samples.get(tool, 0)
    fold.samples[tool] = count + 1
    key = f"sample:{tool}:{count}"
    request = SpanRecord(key, SAMPLING, tool, started, "server", attributes=_mcp(event.server))
    request.attributes["mcp.method.name"] = SAMPLING
    fold.start(request)
    if event.refused:
        kind = "limit_reached" if event.refused.startswith("limit ") else "sampling_failed"
        request.fail(kind, event.refused)
    else:
        fold.start(_inference(fold, key, started, event))
        fold.end(f"{key}:chat", event.at)
    fold.end(key, event.at)


def _inference(fold: TraceFold, parent: str, started: float, event: ServerSampled) -> SpanRecord:
    model = fold.common.get("gen_ai.request.model", "")
    attributes: Attributes = {
        "gen_ai.operation.name": "chat",
        **fold.common,
        **usage_attributes(event.usage),
        "autan.cost_usd": event.cost_usd,
    }
    if fold.capture:
        attributes["gen_ai.input.messages"] = content.as_json(
            [_message(line) for line in event.messages]
        )
        attributes["gen_ai.output.messages"] = content.answer(event.reply)
    return SpanRecord(
        f"{parent}:chat", f"chat {model}", parent, started, "client", attributes=attributes
    )


def _message(line: str) -> dict[str, object]:
    role, _, text = line.partition(": ")
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def elicitation_requested(fold: TraceFold, event: ElicitationRequested) -> None:
    tool = fold.tool_key(event.step, event.call_id)
    if tool is None:
        return
    fold.open[tool].events.append(SpanEvent("autan.elicitation.requested", event.at))
    attributes = {**_mcp(event.server), "mcp.method.name": ELICITATION}
    if fold.capture:
        attributes["autan.elicitation.message"] = event.message
    key = f"elicit:{event.step}:{event.call_id}"
    fold.start(SpanRecord(key, ELICITATION, tool, event.at, "server", attributes=attributes))


def elicitation_answered(fold: TraceFold, event: ElicitationAnswered) -> None:
    span = fold.open.get(f"elicit:{event.step}:{event.call_id}")
    if span is None:
        return
    span.attributes["autan.elicitation.action"] = event.action
    if fold.capture and event.content is not None:
        span.attributes["autan.elicitation.content"] = content.as_json(event.content)
    fold.answered[span.key] = event.at


def _mcp(server: str) -> Attributes:
    return {"autan.mcp.server": server}
