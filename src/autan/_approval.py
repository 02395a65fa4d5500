"""Approvals: a run paused before a ``needs_approval`` call, and a person's decision on it.

The pause is the journal ending in ``ApprovalRequested``. ``decide`` appends the matching
``ApprovalDecided`` as the run's next event, from any process that opens the store; the primary
key on ``(run_id, seq)`` makes a second decision (or a resumed run racing it) fail, not double.
Resuming then replays the decision into the loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autan.errors import AwaitingApproval, ConfigurationError
from autan.events import ApprovalDecided, ApprovalRequested
from autan.loop import AwaitApproval
from autan.result import RunResult

if TYPE_CHECKING:
    from autan.store import Store


def pause(effect: AwaitApproval) -> AwaitingApproval:
    """The error a driver throws into the loop when no decision is journaled yet."""
    call = effect.call
    return AwaitingApproval(
        f"{call.name} needs a person's approval; approve or deny it, then resume the run",
        RunResult(None, (), 0.0),
        call,
        effect.key,
    )


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
