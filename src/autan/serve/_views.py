"""A run as the API shows it: folded from its journal, with the pool's word on whether it is in
progress (the journal cannot tell a run going on from one whose process died)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from autan.events import (
    ApprovalRequested,
    ElicitationRequested,
    Event,
    FinalAnswer,
    ModelResponded,
    RunFailed,
    ToolCalled,
    ToolResulted,
)
from autan.result import RunResult
from autan.serve._pool import PoolState
from autan.serve._schemas import Awaiting, Failure, RunOut, RunSummary, Status, UsageOut
from autan.store import RunInfo

CANCELLED = "RunCancelled"


def status_of(info: RunInfo, events: Sequence[Event], in_pool: PoolState | None) -> Status:
    if in_pool is not None:
        return in_pool
    last = events[-1] if events else None
    if isinstance(last, RunFailed) and last.error == CANCELLED:
        return "cancelled"
    return info.status


def summary(info: RunInfo, events: Sequence[Event], in_pool: PoolState | None) -> RunSummary:
    result = _result(info, events)
    return RunSummary(
        id=info.run_id,
        status=status_of(info, events, in_pool),
        task=str(info.config.get("task", "")),
        model=str(info.config.get("model", "")),
        created=info.created,
        events=len(events),
        steps=result.steps,
        tool_calls=result.tool_calls,
        usage=UsageOut(**dataclasses.asdict(result.usage)),
        cost_usd=result.cost_usd,
        seconds=round(result.seconds, 3),
    )


def detail(
    info: RunInfo, events: Sequence[Event], in_pool: PoolState | None, problem: str | None
) -> RunOut:
    last = events[-1] if events else None
    return RunOut(
        **summary(info, events, in_pool).model_dump(),
        answer=last.output if isinstance(last, FinalAnswer) else None,
        error=Failure(type=last.error, message=last.message)
        if isinstance(last, RunFailed)
        else None,
        awaiting=_awaiting(events) if in_pool is None else None,
        problem=problem,
    )


def _result(info: RunInfo, events: Sequence[Event]) -> RunResult:
    """The run's totals; its seconds are the time spent in model and tool calls."""
    seconds = sum(e.seconds for e in events if isinstance(e, ModelResponded | ToolResulted))
    return RunResult(None, tuple(events), seconds, info.run_id)


def _awaiting(events: Sequence[Event]) -> Awaiting | None:
    request = events[-1] if events else None
    if not isinstance(request, ApprovalRequested | ElicitationRequested):
        return None
    called = (e for e in events if isinstance(e, ToolCalled) and e.call.id == request.call_id)
    call = next(called, None)
    arguments = dict(call.call.arguments) if call is not None else {}
    asks = request if isinstance(request, ElicitationRequested) else None
    return Awaiting(
        call_id=request.call_id,
        name=request.name,
        arguments=arguments,
        reason=request.reason if isinstance(request, ApprovalRequested) else "",
        copied=list(request.copied) if isinstance(request, ApprovalRequested) else [],
        question=asks.message if asks else None,
        answer_schema=asks.schema if asks else None,
    )
