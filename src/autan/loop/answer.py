"""A final answer, checked against the agent's output type: accepted as a value, or rejected and
shown to the model like a failed tool call (``Limits.tool_retries`` times at most)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from autan.errors import ToolRetriesExhausted
from autan.events import AnswerRejected, Event
from autan.loop.config import LoopConfig
from autan.loop.state import LoopState, count_failure, partial, record
from autan.messages import Message
from autan.tools import AnswerInvalid

REJECTED = object()
"""What ``checked_answer`` returns when the model must answer again."""


def checked_answer(
    state: LoopState, config: LoopConfig, text: str, cut_at: int | None = None
) -> Generator[Event, object, Any]:
    """``text`` as the run's output: itself without an output type, else the validated value;
    ``REJECTED`` (the error journaled and shown to the model) when it does not validate. The
    reply that held the answer is in the transcript already. ``cut_at``: the reply stopped at
    the step's token limit, after that many tokens; a rejection then tells the model so, not
    the validator's message about the cut text."""
    if config.answer is None:
        return text
    try:
        value = config.answer.parse(text)
    except AnswerInvalid as error:
        told = str(error) if cut_at is None else cut_off(cut_at)
        yield record(state, AnswerRejected(state.steps, told))
        state.messages.append(Message("user", f"Invalid answer: {told}. Answer again."))
        count_failure(state, True)
        if state.failures_in_a_row > config.limits.tool_retries:
            raise ToolRetriesExhausted(
                f"the answer failed validation as {config.answer.name} "
                f"{state.failures_in_a_row} times in a row: {told}",
                partial(state),
            ) from None
        return REJECTED
    return value


def cut_off(tokens: int) -> str:
    return f"your answer was cut off at {tokens} tokens; be shorter"
