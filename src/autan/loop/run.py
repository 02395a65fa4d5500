"""The step loop, as a generator with no I/O of its own.

The loop yields two kinds of items: ``Event`` records (what happened, for the journal and the
stream) and effects (``autan.loop.effects``), which a driver performs and sends the outcome of
back in. Every driver (sync, async, replay) runs this one implementation.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import cast

from autan.errors import AutanError, AwaitingApproval, ModelTimeout
from autan.events import (
    Event,
    FinalAnswer,
    HandedOff,
    ModelRequested,
    ModelResponded,
    RunFailed,
    RunStarted,
)
from autan.loop.answer import REJECTED, checked_answer
from autan.loop.code_step import code_step
from autan.loop.config import LoopConfig
from autan.loop.effects import CallModel, Effect, LoopStep
from autan.loop.history import NO_HISTORY, History
from autan.loop.state import (
    LoopState,
    check_limits,
    check_wall_clock,
    finish,
    record,
    time_left,
)
from autan.loop.tool_step import tool_step
from autan.messages import Message, ModelRequest, ModelResponse
from autan.protocols.signature import COMPACT, answer_shape
from autan.tools import Tool


def run_loop(task: str, config: LoopConfig, history: History = NO_HISTORY) -> LoopStep:
    """Drive one run of ``task``; returns the result and the error that ended it, if any.

    ``history``: the conversation so far (its system message first, and its turns), which
    this run extends as its last turn; empty for a fresh task."""
    started = time.perf_counter()
    messages = list(history.messages) or [Message("system", system_text(config))]
    turns = (*history.turn_starts(), len(messages))
    messages.append(Message("user", task))
    state = LoopState(messages, config.run_id, started=started, turns=turns)
    tools = {t.name: t for t in config.tools}
    yield record(state, RunStarted(task, config.model_name, tuple(tools), agent=config.agent_name))
    try:
        while True:
            check_limits(state, config.limits, started)
            response = yield from _model_step(state, config, started)
            answer = yield from _act(state, config, tools, response)
            if state.handoff is not None:
                config = yield from _hand_off(state, config)
                tools = {t.name: t for t in config.tools}
            if answer is None:
                continue
            output = yield from checked_answer(state, config, answer, _cut_at(response))
            if output is REJECTED:
                continue
            yield record(state, FinalAnswer(state.steps, answer))
            return finish(state, started, output, None)
    except AwaitingApproval as pause:  # not an end: the journal stays open
        return finish(state, started, None, pause)
    except AutanError as error:
        yield record(state, RunFailed(type(error).__name__, str(error)))
        return finish(state, started, None, error)


def system_text(config: LoopConfig) -> str:
    """The instructions, and for a typed answer the fields it must have (the answer schema
    itself constrains the reply where the backend can)."""
    if config.answer is None:
        return config.instructions
    shape = answer_shape(config.answer.schema, COMPACT)
    return f"{config.instructions}\nThe final answer is JSON: {shape}"


def _act(
    state: LoopState, config: LoopConfig, tools: dict[str, Tool], response: ModelResponse
) -> Generator[Event | Effect, object, str | None]:
    """What the reply does: its calls run (``None``: the run goes on), or it is the answer."""
    if config.actions == "code":
        return (yield from code_step(state, config, tools, response))
    if response.tool_calls:
        yield from tool_step(state, config, tools, response)
        return None
    answer = response.text.strip()
    state.messages.append(Message("assistant", answer, reasoning=response.reasoning))
    return answer


def _cut_at(response: ModelResponse) -> int | None:
    """The tokens of a reply the step's token limit cut; ``None`` for a reply that ended."""
    if response.finish_reason != "length":
        return None
    return response.usage.completion_tokens


def _hand_off(state: LoopState, config: LoopConfig) -> Generator[Event, object, LoopConfig]:
    """Make the transfer the step asked for: the target's configuration from now on, its
    instructions in place of the system message (the history stays)."""
    assert state.handoff is not None
    transfer, state.handoff = state.handoff, None
    target = config.team[transfer.agent]
    yield record(
        state, HandedOff(state.steps, transfer.call_id, config.agent_name, target.agent_name)
    )
    state.messages[0] = Message("system", system_text(target))
    return target


def _model_step(
    state: LoopState, config: LoopConfig, started: float
) -> Generator[Event | Effect, object, ModelResponse]:
    state.steps += 1
    choice, state.next_choice = state.next_choice, "auto"
    request = ModelRequest(
        tuple(state.messages),
        tuple(t.spec for t in config.tools),
        choice,
        config.max_tokens_per_step,
        code_block=config.actions == "code",
        step=state.steps,
        timeout_seconds=time_left(config.limits, started),
        answer_schema=config.answer.schema if config.answer else None,
    )
    yield record(state, ModelRequested(state.steps, len(state.messages), choice))
    try:
        response = cast(ModelResponse, (yield CallModel(state.steps, request, config.agent_name)))
    except ModelTimeout:
        check_wall_clock(state, config.limits, started)  # the run's time ran out: its limit
        raise
    state.usage = state.usage + response.usage
    yield record(
        state,
        ModelResponded(
            state.steps,
            response.text,
            response.tool_calls,
            response.usage,
            response.seconds,
            response.reasoning,
            response.cost_usd,
            response.model,
            response.finish_reason,
        ),
    )
    return response
