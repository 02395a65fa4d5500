"""A run paused before a ``needs_approval`` call: the error the driver throws into the loop when
no decision is journaled yet (decisions: ``autan.store.decide``)."""

from __future__ import annotations

from autan.errors import AwaitingApproval
from autan.loop.effects import AwaitApproval
from autan.result import RunResult


def pause(effect: AwaitApproval) -> AwaitingApproval:
    call = effect.call
    return AwaitingApproval(
        f"{call.name} needs a person's approval; approve or deny it, then resume the run",
        RunResult(None, (), 0.0),
        call,
        effect.key,
    )
