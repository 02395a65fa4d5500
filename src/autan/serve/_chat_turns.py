"""The OpenAI facade's conversations as runs: a request whose messages repeat an earlier
request's and its answer continues that run (``after``), so the model reads the real turns, not
a retelling of them in the task.

Each chat run journals ``chat``: a hash of the messages it answered (up to its task) and the
agent named. A later request ``[..., user, assistant, user]`` continues the run whose hash is
that of its messages up to the user message before the last answer, if that run answered with
the assistant message's text. Anything else (a conversation made up by the client, an edited
answer, a system message that changed) starts afresh, the earlier messages written into the
task.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from autan.events import FinalAnswer
from autan.serve._chat_schemas import ChatMessage
from autan.store import Store

CHAT_KEY = "chat"
SEARCHED_RUNS = 1000
"""How many of the newest runs are searched for the run a conversation continues."""


@dataclass(frozen=True, slots=True)
class Turn:
    task: str
    """The last user message's text."""
    key: str
    """The hash this run journals: what a next turn looks for."""
    earlier: str | None
    """The key of the run this turn continues (``None``: the first turn)."""
    answered: str | None
    """The text that run must have answered."""


def turn_of(messages: Sequence[ChatMessage], agent: str) -> Turn | None:
    """The turn a request asks for; ``None`` when it has no user message with text."""
    asked = [n for n, m in enumerate(messages) if m.role == "user" and m.text().strip()]
    if not asked:
        return None
    last = asked[-1]
    key = conversation_key(messages[: last + 1], agent)
    before = [n for n in asked if n < last]
    answer = messages[last - 1] if last > 0 else None
    if not before or answer is None or answer.role != "assistant":
        return Turn(messages[last].text(), key, None, None)
    earlier = conversation_key(messages[: before[-1] + 1], agent)
    return Turn(messages[last].text(), key, earlier, answer.text())


def conversation_key(messages: Sequence[ChatMessage], agent: str) -> str:
    spoken = [[m.role, m.text()] for m in messages if m.text().strip()]
    return hashlib.sha256(json.dumps([agent, spoken]).encode()).hexdigest()


def continued_run(store: Store, turn: Turn) -> str | None:
    """The answered run ``turn`` continues, if the journal has it."""
    if turn.earlier is None:
        return None
    for info in store.runs(limit=SEARCHED_RUNS):
        if info.config.get(CHAT_KEY) != turn.earlier or info.status != "completed":
            continue
        last = store.load(info.run_id)[-1]
        if isinstance(last, FinalAnswer) and last.output == turn.answered:
            return info.run_id
    return None
