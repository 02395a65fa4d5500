"""What a follow-up keeps of the conversation before it, when all of it no longer fits the
model's context window.

The policy, in order, until the history fits ``budget`` tokens: (1) the oldest tool results
become ``[dropped: N characters]``; (2) the oldest turns (a user message and everything up to
the next user message) are dropped whole. The system message and the last turn are always
kept; if they alone do not fit, ``ContextLengthExceeded`` says so before anything is sent.
Anything dropped changes the prompt from that point on, so the model's prefix cache covers
only what comes before it: the policy runs only when it must.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from autan.errors import ContextLengthExceeded
from autan.messages import Message

Counter = Callable[[tuple[Message, ...]], int]
"""How many prompt tokens a transcript is for the model."""


def fit_history(messages: tuple[Message, ...], budget: int, count: Counter) -> tuple[Message, ...]:
    """``messages`` (system message first), cut by the policy above to at most ``budget``."""
    if count(messages) <= budget:
        return messages
    kept = list(messages)
    for index, message in enumerate(kept):
        if message.role == "tool" and _turn_starts(kept)[-1] > index:
            kept[index] = dataclasses.replace(message, content=_dropped(message.content))
            if count(tuple(kept)) <= budget:
                return tuple(kept)
    while len(_turn_starts(kept)) > 1:
        starts = _turn_starts(kept)
        del kept[starts[0] : starts[1]]
        if count(tuple(kept)) <= budget:
            return tuple(kept)
    raise ContextLengthExceeded(
        f"the conversation's last turn alone ({count(tuple(kept))} tokens) does not fit the "
        f"{budget} tokens left of the model's context window"
    )


def _turn_starts(messages: list[Message]) -> list[int]:
    return [i for i, message in enumerate(messages) if message.role == "user" and i > 0]


def _dropped(content: str) -> str:
    return content if content.startswith("[dropped") else f"[dropped: {len(content)} characters]"
