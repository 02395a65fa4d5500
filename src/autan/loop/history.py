"""What a follow-up keeps of the conversation before it, when all of it no longer fits the
model's context window.

A conversation's turns are its runs: each begins at its task message (``History.turns``, from
``RunResult.turns``), whatever other user messages it holds (an answer's "Invalid answer"
feedback, a code block's output). The policy, in order, until the history fits ``budget``
tokens: (1) the oldest observations (tool results, code outputs) become
``[dropped: N characters]``; (2) the oldest turns (a run's task and everything up to the next
run's task) are dropped whole. The system message and the last turn are always kept; if they
alone do not fit, ``ContextLengthExceeded`` says so before anything is sent. Anything dropped
changes the prompt from that point on, so the model's prefix cache covers only what comes
before it: the policy runs only when it must.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from autan.errors import ContextLengthExceeded
from autan.messages import Message

Counter = Callable[[tuple[Message, ...]], int]
"""How many prompt tokens a transcript is for the model."""


@dataclass(frozen=True, slots=True)
class History:
    """The conversation a run follows up on: its messages (the system message first) and the
    index in them of each earlier turn's task message."""

    messages: tuple[Message, ...] = ()
    turns: tuple[int, ...] = ()

    def turn_starts(self) -> tuple[int, ...]:
        """``turns``; for a transcript that names none, all after the system message is one."""
        return self.turns or ((1,) if len(self.messages) > 1 else ())


NO_HISTORY = History()
"""A fresh task's: nothing before it."""


def fit_history(history: History, budget: int, count: Counter) -> History:
    """``history``, cut by the policy above to at most ``budget`` tokens."""
    if count(history.messages) <= budget:
        return history
    kept, turns = list(history.messages), list(history.turn_starts())
    last_turn = turns[-1] if turns else len(kept)
    for index, message in enumerate(kept[:last_turn]):
        if _is_observation(message):
            kept[index] = dataclasses.replace(message, content=_dropped(message.content))
            if count(tuple(kept)) <= budget:
                return History(tuple(kept), tuple(turns))
    while len(turns) > 1:
        length = turns[1] - turns[0]
        del kept[turns[0] : turns[1]]
        turns = [start - length for start in turns[1:]]
        if count(tuple(kept)) <= budget:
            return History(tuple(kept), tuple(turns))
    raise ContextLengthExceeded(
        f"the conversation's last turn alone ({count(tuple(kept))} tokens) does not fit the "
        f"{budget} tokens left of the model's context window"
    )


def _is_observation(message: Message) -> bool:
    """A tool's result, or a code block's output (a user message from the sandbox)."""
    return message.role == "tool" or (message.role == "user" and message.source == "code")


def _dropped(content: str) -> str:
    return content if content.startswith("[dropped") else f"[dropped: {len(content)} characters]"
