"""A person's decision on the call a paused run waits for, or answer to the question it waits
on, journaled from any process.

The pause is the journal ending in ``ApprovalRequested`` (or ``ElicitationRequested``).
``decide`` appends the matching ``ApprovalDecided`` as the run's next event (``answer`` an
``ElicitationAnswered``); the primary key on ``(run_id, seq)`` makes a second decision (or a
resumed run racing it) fail, not double. Resuming then replays the decision.
"""

from __future__ import annotations

from typing import Any

from autan.errors import ConfigurationError
from autan.events import (
    ApprovalDecided,
    ApprovalRequested,
    ElicitationAnswered,
    ElicitationRequested,
)
from autan.store._base import Store
from autan.tools._server_requests import Question, Reply, ReplyAction, check_reply


def pending(store: Store, run_id: str) -> tuple[int, ApprovalRequested]:
    """The position of the run's next event and the approval it waits for."""
    events = store.load(run_id)
    last = events[-1] if events else None
    if not isinstance(last, ApprovalRequested):
        raise ConfigurationError(f"run {run_id} is not waiting for an approval")
    return len(events), last


def decide(store: Store, run_id: str, approved: bool, reason: str = "") -> ApprovalDecided:
    """Journal a decision on the call run ``run_id`` waits for; resume the run to act on it."""
    seq, request = pending(store, run_id)
    decision = ApprovalDecided(request.step, request.call_id, approved, reason)
    store.append(run_id, seq, decision)
    return decision


def pending_question(store: Store, run_id: str) -> tuple[int, ElicitationRequested]:
    """The position of the run's next event and the question it waits on."""
    events = store.load(run_id)
    last = events[-1] if events else None
    if not isinstance(last, ElicitationRequested):
        raise ConfigurationError(f"run {run_id} is not waiting for an answer")
    return len(events), last


def answer(
    store: Store, run_id: str, action: ReplyAction, content: dict[str, Any] | None = None
) -> ElicitationAnswered:
    """Journal an answer to the question run ``run_id`` waits on: ``accept`` with ``content``
    (checked against the question's JSON Schema: ``ConfigurationError`` if it does not fit),
    ``decline`` or ``cancel``. Resume the run to make the call again with it."""
    seq, request = pending_question(store, run_id)
    question = Question(request.server, request.message, request.schema)
    try:
        reply = check_reply(question, Reply(action, content))
    except ValueError as error:
        message = f"run {run_id}: the answer does not fit the question: {error}"
        raise ConfigurationError(message) from None
    answered = ElicitationAnswered(request.step, request.call_id, reply.action, reply.content)
    store.append(run_id, seq, answered)
    return answered
