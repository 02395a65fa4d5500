"""What a call's server asked while it ran (MCP): each sampling request journaled and counted
against the run's limits; a question for a person journaled, answered (or the run paused until
it is), and the call made again with the answer."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from typing import cast

from autan.events import (
    ElicitationAnswered,
    ElicitationRequested,
    Event,
    ServerSampled,
    ToolStarted,
)
from autan.loop.config import LoopConfig
from autan.loop.effects import AwaitAnswer, CallTool, Effect, ToolOutcome
from autan.loop.state import LoopState, budget_left, record
from autan.messages import ToolCall
from autan.tools._server_requests import Reply, Sample

MAX_QUESTIONS = 5
"""The most questions a server may ask in one call before the call is an error."""


def settled(
    state: LoopState, config: LoopConfig, call: ToolCall, run: CallTool, outcome: ToolOutcome
) -> Generator[Event | Effect, object, ToolOutcome]:
    """The call's outcome once every question its server asked has an answer."""
    asked = 0
    while True:
        yield from _journal_samples(state, call, outcome.samples)
        question = outcome.question
        if question is None:
            return outcome
        if asked == MAX_QUESTIONS:
            why = f"error: MCP server {question.server!r} asked more than {MAX_QUESTIONS} questions"
            return ToolOutcome(f"{why} in one call", True, outcome.seconds)
        asked += 1
        step, key = state.steps, run.key
        requested = ElicitationRequested(
            step, call.id, call.name, key, question.server, question.message, question.schema
        )
        yield record(state, requested)
        reply = cast(Reply, (yield AwaitAnswer(step, call, key, question)))
        yield record(state, ElicitationAnswered(step, call.id, reply.action, reply.content))
        replies = (*run.replies, (question, reply))
        run = dataclasses.replace(run, replies=replies, budget=budget_left(state, config.limits))
        yield record(state, ToolStarted(step, call.id, call.name, key))
        outcome = cast(ToolOutcome, (yield run))


def _journal_samples(
    state: LoopState, call: ToolCall, samples: tuple[Sample, ...]
) -> Generator[Event, object, None]:
    for sample in samples:
        state.usage = state.usage + sample.usage
        if not sample.refused:
            state.sampled += 1
        yield record(
            state,
            ServerSampled(
                state.steps,
                call.id,
                sample.server,
                sample.messages,
                sample.reply,
                sample.usage,
                sample.cost_usd,
                sample.refused,
            ),
        )
