"""A person's decision on the call a paused run waits for, journaled from any process.

The pause is the journal ending in ``ApprovalRequested``. ``decide`` appends the matching
``ApprovalDecided`` as the run's next event; the primary key on ``(run_id, seq)`` makes a second
decision (or a resumed run racing it) fail, not double. Resuming then replays the decision.
"""

from __future__ import annotations

from autan.errors import ConfigurationError
from autan.events import ApprovalDecided, ApprovalRequested
from autan.store._base import Store


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
