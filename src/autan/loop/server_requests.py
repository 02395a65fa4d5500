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
from autan.tools._server_requests import Question, Reply, Sample

MAX_QUESTIONS = 5
"""The most questions a server may ask in one call before the call is an error."""


def asked_first(
    state: LoopState, call: ToolCall, run: CallTool, outcome: ToolOutcome
) -> Generator[Event, object, None]:
    """A batch call's first attempt, where its server asked a question while another call of
    the batch asked first: its samples and the question, journaled before the first pauses the
    run, so that the resumed run finds this call ended (by its question), not started without
    a result (``settled`` with ``journaled`` then waits on it)."""
    if outcome.question is not None:
        yield from _journal_samples(state, call, outcome.samples)
        yield record(state, _requested(state, call, run, outcome.question))


def settled(
    state: LoopState,
    config: LoopConfig,
    call: ToolCall,
    run: CallTool,
    outcome: ToolOutcome,
    journaled: bool = False,
) -> Generator[Event | Effect, object, ToolOutcome]:
    """The call's outcome once every question its server asked has an answer. ``journaled``:
    ``asked_first`` journaled the first attempt; its question is journaled again where the run
    waits on it unless it is the last event, so the last event of a paused run is always the
    question it waits on (what ``store.pending_question`` and the CLI read)."""
    asked = 0
    journaled = journaled and outcome.question is not None
    while True:
        if not journaled:
            yield from _journal_samples(state, call, outcome.samples)
        question = outcome.question
        if question is None:
            return outcome
        if asked == MAX_QUESTIONS:
            why = f"error: MCP server {question.server!r} asked more than {MAX_QUESTIONS} questions"
            return ToolOutcome(f"{why} in one call", True, outcome.seconds)
        asked += 1
        step, key = state.steps, run.key
        requested = _requested(state, call, run, question)
        if not journaled or state.events[-1] != requested:
            yield record(state, requested)
        journaled = False
        reply = cast(Reply, (yield AwaitAnswer(step, call, key, question)))
        yield record(state, ElicitationAnswered(step, call.id, reply.action, reply.content))
        replies = (*run.replies, (question, reply))
        run = dataclasses.replace(run, replies=replies, budget=budget_left(state, config.limits))
        yield record(state, ToolStarted(step, call.id, call.name, key))
        outcome = cast(ToolOutcome, (yield run))


def _requested(
    state: LoopState, call: ToolCall, run: CallTool, question: Question
) -> ElicitationRequested:
    return ElicitationRequested(
        state.steps, call.id, call.name, run.key, question.server, question.message, question.schema
    )


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
