"""Follow-ups: a run that continues the conversation of an earlier one.

Each turn is a run of its own, journaled with ``after`` (the previous run's id); its history
is the previous run's transcript (``RunResult.messages``, its turns ``RunResult.turns``), which
it extends append-only, so the
model's prefix cache covers every earlier turn. A stored turn's transcript is rebuilt by
replaying its journal (and, before it, its own ``after``), never stored twice.
"""

from __future__ import annotations

import json
from typing import Any

from autan.errors import ConfigurationError
from autan.events import FinalAnswer, RunStarted
from autan.loop.config import LoopConfig
from autan.loop.history import Counter, History, fit_history
from autan.messages import Message
from autan.models.base import Model
from autan.result import RunResult


def follow_up_history(
    after: RunResult[Any], model: str, tools: tuple[str, ...], system: str
) -> History:
    """The transcript to continue; ``ConfigurationError`` for a run without an answer or one
    another agent (another model, other tools or instructions) made."""
    name = after.run_id or "given"
    if after.output is None or not after.events or not isinstance(after.events[-1], FinalAnswer):
        raise ConfigurationError(f"run {name} ended without an answer: nothing to follow up on")
    started = after.events[0]
    if not isinstance(started, RunStarted) or not after.messages:
        raise ConfigurationError(f"run {name} has no transcript to follow up on")
    if started.model != model or started.tools != tools:
        raise ConfigurationError(
            f"run {name} belongs to another agent ({started.model}, tools "
            f"{', '.join(started.tools) or 'none'}): a follow-up needs the same model and tools"
        )
    if after.messages[0].role != "system" or after.messages[0].content != system:
        raise ConfigurationError(
            f"run {name} belongs to another agent (other instructions or output type)"
        )
    return History(after.messages, after.turns)


def fit_to_window(model: Model, history: History, task: str, config: LoopConfig) -> History:
    """``history`` as it fits the model's context window with the new ``task`` and one
    step's reply (``autan.loop.history``); unchanged where the window is unknown."""
    window = model.context_window()
    if window is None:
        return history
    count = _counter(model)
    room = window - config.max_tokens_per_step - count((Message("user", task),))
    return fit_history(history, room, count)


PER_MESSAGE_TOKENS = 8
"""A chat template's tokens around each message (SmolLM2's ``<|im_start|>role\\n…<|im_end|>``
is 5; others a few more)."""


def _counter(model: Model) -> Counter:
    def count(messages: tuple[Message, ...]) -> int:
        text = sum(model.count_tokens(m.content + _calls_text(m)) for m in messages)
        return text + PER_MESSAGE_TOKENS * len(messages)

    return count


def _calls_text(message: Message) -> str:
    return "".join(json.dumps(c.arguments) + c.name for c in message.tool_calls)
