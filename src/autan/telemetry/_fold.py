"""A run's journal as GenAI spans: a fold over its events, one event at a time.

``invoke_agent autan`` spans the run (``RunStarted`` to ``FinalAnswer`` or ``RunFailed``); under
it a ``chat {model}`` span per model call (``ModelRequested`` to ``ModelResponded``), an
``execute_tool {tool}`` span per tool call (``ToolCalled`` to ``ToolResulted``, approvals as its
span events) and, in code mode, an ``execute_tool python`` span per code block (``CodeStarted``
to ``CodeFinished``) holding the calls the block made; what a call's MCP server asked, under
its call's span (``_fold_mcp``). Every time is an event's ``at``, so a
stored run folds to the spans it had live. Content (task, replies, arguments, results) is in
attributes only with ``capture_content``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from autan.events import (
    ApprovalDecided,
    ApprovalRequested,
    CodeFinished,
    CodeStarted,
    ElicitationAnswered,
    ElicitationRequested,
    Event,
    FinalAnswer,
    ModelRequested,
    ModelResponded,
    RunFailed,
    RunStarted,
    ServerSampled,
    ToolCalled,
    ToolResulted,
    ToolStarted,
)
from autan.messages import Usage
from autan.telemetry import _content as content
from autan.telemetry import _fold_mcp as asked
from autan.telemetry._names import AGENT_NAME, CODE_TOOL, provider_and_model
from autan.telemetry._spans import Attributes, SpanEvent, SpanRecord, usage_attributes

RUN = "run"


class TraceFold:
    """Feed it a run's events in order (``add``); each call returns the spans that event
    ended. ``finish`` ends what is still open (a paused or interrupted run) at the last
    event's time."""

    def __init__(self, run_id: str, capture_content: bool = False, created: float = 0.0) -> None:
        """``created``: the time of events journaled before events had times."""
        self.run_id = run_id
        self.capture = capture_content
        self.open: dict[str, SpanRecord] = {}
        self.common: Attributes = {}
        self.usage = Usage()
        self.cost_usd = 0.0
        self.steps = 0
        self.last_at = created
        self.calls_in_step: dict[int, int] = {}
        self.ended: list[SpanRecord] = []
        self.busy_since: dict[str, float] = {}
        """When each open tool span last started or answered its server (``_fold_mcp``)."""
        self.samples: dict[str, int] = {}
        self.answered: dict[str, float] = {}

    def add(self, event: Event) -> list[SpanRecord]:
        self.ended = []
        if not event.at:
            event = dataclasses.replace(event, at=self.last_at)
        self.last_at = event.at
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)
        return self.ended

    def finish(self, status: str = "incomplete") -> list[SpanRecord]:
        """End every open span now (innermost first); the run span says ``status``."""
        self.ended = []
        for key in [k for k in self.open if k != RUN]:
            self.end(key, self.last_at)
        _end_run(self, self.last_at, status)
        return self.ended

    def start(self, span: SpanRecord) -> SpanRecord:
        self.open[span.key] = span
        return span

    def end(self, key: str, at: float) -> SpanRecord | None:
        span = self.open.pop(key, None)
        if span is not None:
            span.end = max(at, span.start)
            self.ended.append(span)
        return span

    def tool_key(self, step: int, call_id: str) -> str | None:
        """The open tool span of call ``call_id`` in ``step``."""
        prefix = f"tool:{step}:"
        for key, span in self.open.items():
            if key.startswith(prefix) and span.attributes.get("gen_ai.tool.call.id") == call_id:
                return key
        return None


def _run_started(fold: TraceFold, event: RunStarted) -> None:
    provider, model = provider_and_model(event.model)
    fold.common = {"gen_ai.provider.name": provider, "gen_ai.request.model": model}
    attributes: Attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": AGENT_NAME,
        "gen_ai.conversation.id": fold.run_id,
        **fold.common,
        "autan.run.id": fold.run_id,
        "autan.tools": list(event.tools),
    }
    if fold.capture:
        attributes["gen_ai.input.messages"] = content.user_message(event.task)
    fold.start(SpanRecord(RUN, f"invoke_agent {AGENT_NAME}", None, event.at, attributes=attributes))


def _model_requested(fold: TraceFold, event: ModelRequested) -> None:
    fold.steps = max(fold.steps, event.step)
    attributes: Attributes = {
        "gen_ai.operation.name": "chat",
        **fold.common,
        "autan.step": event.step,
        "autan.request.messages": event.messages,
        "autan.request.tool_choice": event.tool_choice,
    }
    model = fold.common.get("gen_ai.request.model", "")
    span = SpanRecord(f"chat:{event.step}", f"chat {model}", RUN, event.at, "client")
    span.attributes = attributes
    fold.start(span)


def _model_responded(fold: TraceFold, event: ModelResponded) -> None:
    fold.usage = fold.usage + event.usage
    fold.cost_usd += event.cost_usd
    span = fold.open.get(f"chat:{event.step}")
    if span is None:
        return
    span.attributes.update(usage_attributes(event.usage))
    span.attributes["gen_ai.response.finish_reasons"] = [event.finish_reason]
    if event.model:
        span.attributes["gen_ai.response.model"] = event.model
    span.attributes["autan.cost_usd"] = event.cost_usd
    if fold.capture:
        span.attributes["gen_ai.output.messages"] = content.reply(event)
    fold.end(span.key, event.at)


def _code_started(fold: TraceFold, event: CodeStarted) -> None:
    attributes = _tool_attributes(CODE_TOOL, f"code_{event.step}")
    if fold.capture:
        attributes["gen_ai.tool.call.arguments"] = content.as_json({"code": event.code})
    key = f"code:{event.step}"
    fold.start(SpanRecord(key, f"execute_tool {CODE_TOOL}", RUN, event.at, attributes=attributes))


def _code_finished(fold: TraceFold, event: CodeFinished) -> None:
    span = fold.open.get(f"code:{event.step}")
    if span is None:
        return
    span.attributes["autan.code.answered"] = event.answered
    if event.error is not None:
        span.fail(content.error_type(event.error), event.error if fold.capture else "")
    if fold.capture:
        span.attributes["gen_ai.tool.call.result"] = content.code_result(event)
    fold.end(span.key, event.at)


def _tool_attributes(name: str, call_id: str) -> Attributes:
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.call.id": call_id,
        "gen_ai.tool.type": "function",
    }


def _tool_called(fold: TraceFold, event: ToolCalled) -> None:
    index = fold.calls_in_step.get(event.step, 0)
    fold.calls_in_step[event.step] = index + 1
    attributes = _tool_attributes(event.call.name, event.call.id)
    attributes["autan.tool.ran"] = False
    if fold.capture:
        attributes["gen_ai.tool.call.arguments"] = content.as_json(event.call.arguments)
    parent = f"code:{event.step}" if f"code:{event.step}" in fold.open else RUN
    key = f"tool:{event.step}:{index}"
    fold.start(
        SpanRecord(key, f"execute_tool {event.call.name}", parent, event.at, attributes=attributes)
    )


def _tool_started(fold: TraceFold, event: ToolStarted) -> None:
    key = fold.tool_key(event.step, event.call_id)
    if key is not None:
        fold.open[key].attributes["autan.tool.ran"] = True
        fold.open[key].events.append(SpanEvent("autan.tool.started", event.at))
    asked.tool_started(fold, event)


def _approval_requested(fold: TraceFold, event: ApprovalRequested) -> None:
    key = fold.tool_key(event.step, event.call_id)
    if key is not None:
        fold.open[key].events.append(SpanEvent("autan.approval.requested", event.at))


def _approval_decided(fold: TraceFold, event: ApprovalDecided) -> None:
    key = fold.tool_key(event.step, event.call_id)
    if key is None:
        return
    span = fold.open[key]
    span.attributes["autan.approval.approved"] = event.approved
    decided: Attributes = {"autan.approval.approved": event.approved}
    if fold.capture and event.reason:
        decided["autan.approval.reason"] = event.reason
    span.events.append(SpanEvent("autan.approval.decided", event.at, decided))


def _tool_resulted(fold: TraceFold, event: ToolResulted) -> None:
    key = fold.tool_key(event.step, event.call_id)
    if key is None:
        return
    span = fold.open[key]
    if event.is_error:
        span.fail("tool_error", event.output if fold.capture else "")
    if fold.capture:
        span.attributes["gen_ai.tool.call.result"] = event.output
    fold.end(key, event.at)


def _final_answer(fold: TraceFold, event: FinalAnswer) -> None:
    run = fold.open.get(RUN)
    if run is not None and fold.capture:
        run.attributes["gen_ai.output.messages"] = content.answer(event.output)
    _end_run(fold, event.at, "completed")


def _run_failed(fold: TraceFold, event: RunFailed) -> None:
    for key in [k for k in fold.open if k != RUN]:
        fold.open[key].fail(event.error, event.message)
        fold.end(key, event.at)
    run = fold.open.get(RUN)
    if run is not None:
        run.fail(event.error, event.message)
    _end_run(fold, event.at, "failed")


def _end_run(fold: TraceFold, at: float, status: str) -> None:
    run = fold.open.get(RUN)
    if run is None:
        return
    run.attributes.update(usage_attributes(fold.usage))
    run.attributes["autan.cost_usd"] = fold.cost_usd
    run.attributes["autan.steps"] = fold.steps
    run.attributes["autan.run.status"] = status
    fold.end(RUN, at)


_HANDLERS: dict[type[Event], Callable[[TraceFold, Any], None]] = {
    RunStarted: _run_started,
    ModelRequested: _model_requested,
    ModelResponded: _model_responded,
    CodeStarted: _code_started,
    CodeFinished: _code_finished,
    ToolCalled: _tool_called,
    ToolStarted: _tool_started,
    ApprovalRequested: _approval_requested,
    ApprovalDecided: _approval_decided,
    ToolResulted: _tool_resulted,
    ServerSampled: asked.server_sampled,
    ElicitationRequested: asked.elicitation_requested,
    ElicitationAnswered: asked.elicitation_answered,
    FinalAnswer: _final_answer,
    RunFailed: _run_failed,
}
