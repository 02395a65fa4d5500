"""The step loop, as a generator with no I/O of its own.

The loop yields two kinds of items: ``Event`` records (what happened, for the journal and the
stream) and effects (``CallModel``, ``CallTool``) which a driver performs and sends the outcome of
back in. The sync and async drivers in ``autan.agent`` share this one implementation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Literal, cast

from autan import _code_actions as code_actions
from autan._code_actions import CodeCall, CodeEnded, ReplyToCode, StartCode
from autan.errors import (
    AutanError,
    AwaitingApproval,
    LimitExceeded,
    RunError,
    ToolRetriesExhausted,
)
from autan.events import (
    ApprovalDecided,
    ApprovalRequested,
    CodeFinished,
    CodeStarted,
    Event,
    FinalAnswer,
    ModelRequested,
    ModelResponded,
    RunFailed,
    RunStarted,
    ToolCalled,
    ToolResulted,
    ToolStarted,
)
from autan.limits import Limits
from autan.messages import (
    INVALID_CALL,
    Message,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolChoice,
    Usage,
)
from autan.result import RunResult
from autan.tools import Tool, ToolArgumentsError

Actions = Literal["tools", "code"]


@dataclass(frozen=True, slots=True)
class CallModel:
    step: int
    request: ModelRequest


@dataclass(frozen=True, slots=True)
class CallTool:
    tool: Tool
    arguments: dict[str, object]
    key: str = ""
    """The call's idempotency key, ``"<run_id>:<step>:<index>"``."""
    call_id: str = ""


@dataclass(frozen=True, slots=True)
class CallTools:
    """The validated, approved calls of one step, which do not depend on each other: a driver
    may run them concurrently, and sends back their outcomes in the order of ``calls``."""

    calls: tuple[CallTool, ...]


@dataclass(frozen=True, slots=True)
class AwaitApproval:
    """Ask for a person's decision on ``call``. A driver sends back a recorded ``Decision``, or
    throws ``AwaitingApproval`` into the loop to pause the run."""

    step: int
    call: ToolCall
    key: str


@dataclass(frozen=True, slots=True)
class Decision:
    approved: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    output: str
    is_error: bool
    seconds: float


@dataclass(frozen=True, slots=True)
class LoopConfig:
    model_name: str
    tools: tuple[Tool, ...]
    system_prompt: str
    limits: Limits
    max_tokens_per_step: int = 256
    run_id: str = ""
    concurrent_tool_calls: bool = True
    """Run a step's calls as one ``CallTools`` batch. Journals written before batches existed
    recorded each call's events in turn, so their runs resume with this off."""
    actions: Actions = "tools"
    """``"tools"``: the model calls tools one step at a time; ``"code"``: it writes Python that
    calls them (see ``autan._code_actions``)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    result: RunResult
    error: AutanError | None


Effect = CallModel | CallTool | CallTools | AwaitApproval | StartCode | ReplyToCode
LoopStep = Generator[Event | Effect, object, Outcome]


@dataclass
class _State:
    """What the loop knows so far. Every field is derived from the events appended."""

    messages: list[Message]
    run_id: str = ""
    events: list[Event] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    steps: int = 0
    tool_calls: int = 0
    failures_in_a_row: int = 0
    known_results: dict[str, str] = field(default_factory=dict)
    next_choice: ToolChoice = "auto"


def run_loop(task: str, config: LoopConfig) -> LoopStep:
    """Drive one run of ``task``; returns the result and the error that ended it, if any."""
    started = time.perf_counter()
    messages = [Message("system", _system_prompt(config)), Message("user", task)]
    state = _State(messages, config.run_id)
    tools = {t.name: t for t in config.tools}
    yield _record(state, RunStarted(task, config.model_name, tuple(tools)))
    try:
        while True:
            _check_limits(state, config.limits, started)
            response = yield from _model_step(state, config)
            if config.actions == "code":
                answer = yield from _code_step(state, config, tools, response)
                if answer is None:
                    continue
                yield _record(state, FinalAnswer(state.steps, answer))
                return _finish(state, started, answer, None)
            if not response.tool_calls:
                yield _record(state, FinalAnswer(state.steps, response.text.strip()))
                return _finish(state, started, response.text.strip(), None)
            yield from _tool_step(state, config, tools, response)
    except AwaitingApproval as pause:  # not an end: the journal stays open
        return _finish(state, started, None, pause)
    except AutanError as error:
        yield _record(state, RunFailed(type(error).__name__, str(error)))
        return _finish(state, started, None, error)


def _model_step(
    state: _State, config: LoopConfig
) -> Generator[Event | Effect, object, ModelResponse]:
    state.steps += 1
    choice, state.next_choice = state.next_choice, "auto"
    specs = tuple(t.spec for t in config.tools) if config.actions == "tools" else ()
    request = ModelRequest(
        tuple(state.messages),
        specs,
        choice,
        config.max_tokens_per_step,
        code_block=config.actions == "code",
    )
    yield _record(state, ModelRequested(state.steps, len(state.messages), choice))
    response = cast(ModelResponse, (yield CallModel(state.steps, request)))
    state.usage = state.usage + response.usage
    yield _record(
        state,
        ModelResponded(
            state.steps,
            response.text,
            response.tool_calls,
            response.usage,
            response.seconds,
            response.reasoning,
            response.cost_usd,
        ),
    )
    return response


def _tool_step(
    state: _State, config: LoopConfig, tools: dict[str, Tool], response: ModelResponse
) -> Generator[Event | Effect, object, None]:
    state.messages.append(
        Message("assistant", response.text, response.tool_calls, reasoning=response.reasoning)
    )
    calls = response.tool_calls
    if config.concurrent_tool_calls and len(calls) > 1:
        outcomes = yield from _batch_calls(state, config, tools, calls)
    else:
        outcomes = yield from _calls_in_turn(state, config, tools, calls)
    state.failures_in_a_row = state.failures_in_a_row + 1 if _any_error(outcomes) else 0
    if state.failures_in_a_row > config.limits.tool_retries:
        raise ToolRetriesExhausted(
            f"tool calls failed {state.failures_in_a_row} steps in a row", _partial(state)
        )


def _perform_call(
    state: _State, config: LoopConfig, tools: dict[str, Tool], call: ToolCall, index: int
) -> Generator[Event | Effect, object, ToolOutcome]:
    """One call on its own: journaled, checked (validation, limits, approval) and, when
    allowed, run; its outcome is remembered for a repeat of the same call."""
    yield _record(state, ToolCalled(state.steps, call))
    key = f"{config.run_id}:{state.steps}:{index}"
    checked = yield from _check_call(state, config.limits, tools, call, key)
    if isinstance(checked, CallTool):
        yield _record(state, ToolStarted(state.steps, call.id, call.name, key))
        checked = _remember(state, call, cast(ToolOutcome, (yield checked)))
    return checked


def _calls_in_turn(
    state: _State, config: LoopConfig, tools: dict[str, Tool], calls: tuple[ToolCall, ...]
) -> Generator[Event | Effect, object, list[ToolOutcome]]:
    """Each call checked, run and answered before the next one is looked at."""
    outcomes = []
    for index, call in enumerate(calls):
        checked = yield from _perform_call(state, config, tools, call, index)
        outcomes.append(checked)
        yield from _answer(state, call, checked)
    return outcomes


def _batch_calls(
    state: _State, config: LoopConfig, tools: dict[str, Tool], calls: tuple[ToolCall, ...]
) -> Generator[Event | Effect, object, list[ToolOutcome]]:
    """Every call checked (and approved) first, then the runnable ones started as one batch;
    the answers follow in call order."""
    checked: list[ToolOutcome | CallTool] = []
    for index, call in enumerate(calls):
        yield _record(state, ToolCalled(state.steps, call))
        key = f"{config.run_id}:{state.steps}:{index}"
        checked.append((yield from _check_call(state, config.limits, tools, call, key)))
    batch = tuple(item for item in checked if isinstance(item, CallTool))
    for call, item in zip(calls, checked, strict=True):
        if isinstance(item, CallTool):
            yield _record(state, ToolStarted(state.steps, call.id, call.name, item.key))
    ran = iter(cast(tuple[ToolOutcome, ...], (yield CallTools(batch))) if batch else ())
    outcomes = []
    for call, item in zip(calls, checked, strict=True):
        outcome = _remember(state, call, next(ran)) if isinstance(item, CallTool) else item
        outcomes.append(outcome)
        yield from _answer(state, call, outcome)
    return outcomes


def _system_prompt(config: LoopConfig) -> str:
    if config.actions == "code":
        return code_actions.system_prompt(config.system_prompt, [t.spec for t in config.tools])
    return config.system_prompt


def _code_step(
    state: _State, config: LoopConfig, tools: dict[str, Tool], response: ModelResponse
) -> Generator[Event | Effect, object, str | None]:
    """Run the Python in ``response``; the final answer, or ``None`` to take another step."""
    state.messages.append(Message("assistant", response.text, reasoning=response.reasoning))
    code = code_actions.extract_code(response.text)
    if code is None:
        return response.text.strip()
    yield _record(state, CodeStarted(state.steps, code))
    ended = yield from _run_code(state, config, tools, code)
    yield _record(
        state,
        CodeFinished(
            state.steps,
            ended.stdout,
            ended.stderr,
            ended.error,
            ended.answered,
            ended.answer,
            ended.seconds,
        ),
    )
    if ended.answered:
        return code_actions.answer_text(ended.answer)
    state.messages.append(Message("user", code_actions.observation(ended)))
    state.failures_in_a_row = state.failures_in_a_row + 1 if ended.error else 0
    if state.failures_in_a_row > config.limits.tool_retries:
        raise ToolRetriesExhausted(
            f"code failed {state.failures_in_a_row} steps in a row", _partial(state)
        )
    return None


def _run_code(
    state: _State, config: LoopConfig, tools: dict[str, Tool], code: str
) -> Generator[Event | Effect, object, CodeEnded]:
    """Each call the code makes takes the path of a model's tool call (validation, limits,
    approval, journal); its result goes back to the code, not into the transcript."""
    message = cast(CodeCall | CodeEnded, (yield StartCode(state.steps, code)))
    index = 0
    while isinstance(message, CodeCall):
        call = ToolCall(f"code_{state.steps}_{index}", message.name, message.arguments)
        checked = yield from _perform_call(state, config, tools, call, index)
        yield _record(
            state,
            ToolResulted(
                state.steps, call.id, call.name, checked.output, checked.is_error, checked.seconds
            ),
        )
        message = cast(CodeCall | CodeEnded, (yield ReplyToCode(checked.output, checked.is_error)))
        index += 1
    state.next_choice = "auto"  # a repeated call steers tools mode only
    return message


def _check_call(
    state: _State, limits: Limits, tools: dict[str, Tool], call: ToolCall, key: str
) -> Generator[Event | Effect, object, ToolOutcome | CallTool]:
    """The call to run, or the observation that answers it without running anything."""
    tool = tools.get(call.name)
    if tool is None:
        valid = ", ".join(tools) or "none"
        problem = call.arguments.get("problem") if call.name == INVALID_CALL else None
        what = problem or f"unknown tool {call.name!r}"
        return ToolOutcome(f"error: {what}; valid tools: {valid}", True, 0.0)
    try:
        arguments = tool.validate(call.arguments)
    except ToolArgumentsError as error:
        return ToolOutcome(f"error: {error}", True, 0.0)
    known = _call_key(call)
    if known in state.known_results:
        # A repeat of a call whose result is known: small models loop here instead of answering.
        state.next_choice = "none"
        return ToolOutcome(state.known_results[known], False, 0.0)
    if limits.max_tool_calls is not None and state.tool_calls >= limits.max_tool_calls:
        raise _limit(state, "max_tool_calls", limits.max_tool_calls)
    if tool.needs_approval:
        denied = yield from _approval(state, call, key)
        if denied is not None:
            return denied
    state.tool_calls += 1
    return CallTool(tool, arguments, key, call.id)


def _remember(state: _State, call: ToolCall, outcome: ToolOutcome) -> ToolOutcome:
    if not outcome.is_error:
        state.known_results[_call_key(call)] = outcome.output
    return outcome


def _answer(state: _State, call: ToolCall, outcome: ToolOutcome) -> Generator[Event, object, None]:
    yield _record(
        state,
        ToolResulted(
            state.steps, call.id, call.name, outcome.output, outcome.is_error, outcome.seconds
        ),
    )
    state.messages.append(Message("tool", outcome.output, tool_call_id=call.id, name=call.name))


def _any_error(outcomes: list[ToolOutcome]) -> bool:
    return any(outcome.is_error for outcome in outcomes)


def _approval(
    state: _State, call: ToolCall, key: str
) -> Generator[Event | Effect, object, ToolOutcome | None]:
    """Wait for a person's decision: ``None`` to run the call, or the observation of a denial."""
    yield _record(state, ApprovalRequested(state.steps, call.id, call.name, key))
    decision = cast(Decision, (yield AwaitApproval(state.steps, call, key)))
    yield _record(state, ApprovalDecided(state.steps, call.id, decision.approved, decision.reason))
    if decision.approved:
        return None
    why = f": {decision.reason}" if decision.reason else ""
    return ToolOutcome(f"error: a person denied this call{why}", True, 0.0)


def _check_limits(state: _State, limits: Limits, started: float) -> None:
    if limits.max_steps is not None and state.steps >= limits.max_steps:
        raise _limit(state, "max_steps", limits.max_steps)
    if limits.max_total_tokens is not None and state.usage.total_tokens >= limits.max_total_tokens:
        raise _limit(state, "max_total_tokens", limits.max_total_tokens)
    elapsed = time.perf_counter() - started
    if limits.max_wall_seconds is not None and elapsed >= limits.max_wall_seconds:
        raise _limit(state, "max_wall_seconds", limits.max_wall_seconds)


def _limit(state: _State, name: str, bound: float) -> LimitExceeded:
    return LimitExceeded(f"limit {name}={bound} reached", _partial(state), name)


def _call_key(call: ToolCall) -> str:
    return call.name + json.dumps(call.arguments, sort_keys=True, default=str)


def _record(state: _State, event: Event) -> Event:
    state.events.append(event)
    return event


def _partial(state: _State) -> RunResult:
    return RunResult(None, tuple(state.events), 0.0, state.run_id or None)


def _finish(state: _State, started: float, output: str | None, error: AutanError | None) -> Outcome:
    seconds = time.perf_counter() - started
    result = RunResult(output, tuple(state.events), seconds, state.run_id or None)
    if isinstance(error, RunError):
        error.result = result
    return Outcome(result, error)
