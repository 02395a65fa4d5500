"""A tools-mode step: the model's calls, checked and run (one after another, or as one batch),
their results shown to the model in call order."""

from __future__ import annotations

from collections.abc import Generator
from typing import cast

from autan.errors import ToolRetriesExhausted
from autan.events import Event, ToolCalled, ToolStarted
from autan.loop.calls import answer, call_id_key, check_call, perform_call, remember
from autan.loop.config import LoopConfig
from autan.loop.effects import CallTool, CallTools, Effect, ToolOutcome
from autan.loop.server_requests import asked_first, settled
from autan.loop.state import LoopState, count_failure, partial, record
from autan.messages import Message, ModelResponse, ToolCall
from autan.tools import Tool

Step = Generator[Event | Effect, object, list[ToolOutcome]]


def tool_step(
    state: LoopState, config: LoopConfig, tools: dict[str, Tool], response: ModelResponse
) -> Generator[Event | Effect, object, None]:
    state.messages.append(
        Message("assistant", response.text, response.tool_calls, reasoning=response.reasoning)
    )
    calls = response.tool_calls
    if config.concurrent_tool_calls and len(calls) > 1:
        outcomes = yield from _batch_calls(state, config, tools, calls)
    else:
        outcomes = yield from _calls_in_turn(state, config, tools, calls)
    count_failure(state, any(outcome.is_error for outcome in outcomes))
    if state.failures_in_a_row > config.limits.tool_retries:
        raise ToolRetriesExhausted(
            f"tool calls failed {state.failures_in_a_row} steps in a row", partial(state)
        )


def _calls_in_turn(
    state: LoopState, config: LoopConfig, tools: dict[str, Tool], calls: tuple[ToolCall, ...]
) -> Step:
    """Each call checked, run and answered before the next one is looked at."""
    outcomes = []
    for index, call in enumerate(calls):
        checked = yield from perform_call(state, config, tools, call, index)
        outcomes.append(checked)
        yield from answer(state, tools, call, checked)
    return outcomes


def _batch_calls(
    state: LoopState, config: LoopConfig, tools: dict[str, Tool], calls: tuple[ToolCall, ...]
) -> Step:
    """Every call checked (and approved) first, then the runnable ones started as one batch;
    the answers follow in call order."""
    checked: list[ToolOutcome | CallTool] = []
    for index, call in enumerate(calls):
        yield record(state, ToolCalled(state.steps, call))
        key = call_id_key(config, state, index)
        checked.append((yield from check_call(state, config, tools, call, key)))
    batch = tuple(item for item in checked if isinstance(item, CallTool))
    for call, item in zip(calls, checked, strict=True):
        if isinstance(item, CallTool):
            yield record(state, ToolStarted(state.steps, call.id, call.name, item.key))
    ran = list(cast(tuple[ToolOutcome, ...], (yield CallTools(batch))) if batch else ())
    started = [
        (c, item) for c, item in zip(calls, checked, strict=True) if isinstance(item, CallTool)
    ]
    asking = [
        (c, item, first) for (c, item), first in zip(started, ran, strict=True) if first.question
    ]
    for call, item, first in asking[1:]:  # the first is journaled where the run waits on it
        yield from asked_first(state, call, item, first)
    ahead = {call.id for call, _, _ in asking[1:]}
    outcomes, firsts = [], iter(ran)
    for call, item in zip(calls, checked, strict=True):
        if isinstance(item, CallTool):
            first = next(firsts)
            ended = yield from settled(state, config, call, item, first, call.id in ahead)
            outcome = remember(state, call, ended)
        else:
            outcome = item
        outcomes.append(outcome)
        yield from answer(state, tools, call, outcome)
    return outcomes
