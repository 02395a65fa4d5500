"""A code-mode step: the Python in the model's reply runs in a sandbox (performed by the
driver); each call it makes takes the path of a model's tool call, and its result goes back to
the code, not into the transcript. What the block printed is the model's next observation."""

from __future__ import annotations

from collections.abc import Generator
from typing import cast

from autan.errors import ToolRetriesExhausted
from autan.events import CodeFinished, CodeStarted, Event
from autan.loop.calls import perform_call, result_event
from autan.loop.config import LoopConfig
from autan.loop.effects import CodeCall, CodeEnded, Effect, ReplyToCode, StartCode
from autan.loop.state import LoopState, count_failure, partial, record
from autan.messages import Message, ModelResponse, ToolCall
from autan.protocols import code as code_protocol
from autan.tools import Tool


def code_step(
    state: LoopState, config: LoopConfig, tools: dict[str, Tool], response: ModelResponse
) -> Generator[Event | Effect, object, str | None]:
    """Run the Python in ``response``; the final answer, or ``None`` to take another step."""
    state.messages.append(Message("assistant", response.text, reasoning=response.reasoning))
    code = code_protocol.extract_code(response.text)
    if code is None:
        return response.text.strip()
    yield record(state, CodeStarted(state.steps, code))
    untrusted_before = len(state.untrusted)
    ended = yield from _run_code(state, config, tools, code)
    yield record(
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
        return code_protocol.answer_text(ended.answer)
    seen = code_protocol.observation(ended.stdout, ended.stderr, ended.error)
    earlier = _earlier_failures(state, code) if ended.error else []
    if earlier:
        seen += "\n" + code_protocol.repeated_failure(earlier[0])
    # What the code printed may hold what its untrusted calls returned.
    trusted = len(state.untrusted) == untrusted_before
    state.messages.append(Message("user", seen, source="code", trusted=trusted))
    count_failure(state, bool(ended.error))
    _check_failures(state, config, earlier)
    return None


def _earlier_failures(state: LoopState, code: str) -> list[int]:
    """The earlier steps whose block was this same code and failed too; notes this one."""
    key = "\n".join(line.rstrip() for line in code.strip().splitlines())
    steps = state.failed_code.setdefault(key, [])
    earlier = list(steps)
    steps.append(state.steps)
    return earlier


def _check_failures(state: LoopState, config: LoopConfig, earlier: list[int]) -> None:
    """Stop after too many failing blocks in a row, or the same failing block too often."""
    retries = config.limits.tool_retries
    if state.failures_in_a_row > retries:
        raise ToolRetriesExhausted(
            f"code failed {state.failures_in_a_row} steps in a row", partial(state)
        )
    if len(earlier) >= retries:
        steps = ", ".join(str(step) for step in [*earlier, state.steps])
        raise ToolRetriesExhausted(
            f"the same code failed {len(earlier) + 1} times (steps {steps})", partial(state)
        )


def _run_code(
    state: LoopState, config: LoopConfig, tools: dict[str, Tool], code: str
) -> Generator[Event | Effect, object, CodeEnded]:
    message = cast(CodeCall | CodeEnded, (yield StartCode(state.steps, code)))
    index = 0
    while isinstance(message, CodeCall):
        call = ToolCall(f"code_{state.steps}_{index}", message.name, message.arguments)
        checked = yield from perform_call(state, config, tools, call, index)
        yield record(state, result_event(state, tools, call, checked))
        message = cast(CodeCall | CodeEnded, (yield ReplyToCode(checked.output, checked.is_error)))
        index += 1
    state.next_choice = "auto"  # a repeated call steers tools mode only
    return message
