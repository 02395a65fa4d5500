"""``autan run --json``: the run as JSON lines on stdout, one object a line.

First ``{"type": "run", "run_id": ID, "journaled": BOOL}``; then every event as
``Event.to_dict()``, the streamed ``text_delta`` pieces too; last ``{"type": "summary", ...}``
with the run's status, steps, calls, token usage, cost and seconds. With ``--cascade`` the
run is the cascade's; the events are every tier's, with ``tier_started`` and ``tier_ended``
between them, and the summary adds up every tier and lists them.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autan.agent.cascade_result import CascadeResult
    from autan.events import Event
    from autan.result import RunResult


def write_run(run_id: str, journaled: bool) -> None:
    _write({"type": "run", "run_id": run_id, "journaled": journaled})


def write_event(event: Event) -> None:
    _write(event.to_dict())


def write_summary(result: RunResult) -> None:
    _write(
        {
            "type": "summary",
            "run_id": result.run_id,
            "status": _status(result),
            "steps": result.steps,
            "model_calls": result.model_calls,
            "tool_calls": result.tool_calls,
            "usage": dataclasses.asdict(result.usage),
            "cost_usd": result.cost_usd,
            "seconds": round(result.seconds, 3),
        }
    )


def write_cascade_summary(result: CascadeResult[Any]) -> None:
    """``autan run --cascade --json``'s last line: the totals of every tier, and each tier."""
    answered = result.answered_by
    _write(
        {
            "type": "summary",
            "run_id": result.run_id,
            "status": "completed" if answered else "failed",
            "answered_by": answered.tier if answered else None,
            "escalations": result.escalations,
            "model_calls": result.model_calls,
            "usage": dataclasses.asdict(result.usage),
            "cost_usd": result.cost_usd,
            "seconds": round(result.seconds, 3),
            "tiers": [tier.to_dict() for tier in result.tiers],
        }
    )


def _status(result: RunResult) -> str:
    from autan.events import ApprovalRequested, ElicitationRequested

    if result.output is not None:
        return "completed"
    if result.events and isinstance(result.events[-1], ApprovalRequested | ElicitationRequested):
        return "awaiting_approval"
    return "failed"


def _write(record: dict[str, Any]) -> None:
    print(json.dumps(record, default=str), file=sys.stdout, flush=True)
