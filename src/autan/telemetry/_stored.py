"""The spans of a stored run, from its journal alone."""

from __future__ import annotations

from collections.abc import Sequence

from autan.events import ApprovalRequested, ElicitationRequested, Event
from autan.telemetry._fold import TraceFold
from autan.telemetry._spans import SpanRecord


def run_spans(
    run_id: str, events: Sequence[Event], capture_content: bool = False, created: float = 0.0
) -> list[SpanRecord]:
    """Every span of the run; a run that has not ended (paused, or its process died) has its
    open spans ended at its last event, the run span marked ``awaiting_approval`` or
    ``incomplete``."""
    fold = TraceFold(run_id, capture_content, created)
    spans: list[SpanRecord] = []
    for event in events:
        spans.extend(fold.add(event))
    if fold.open:
        paused = bool(events) and isinstance(events[-1], ApprovalRequested | ElicitationRequested)
        spans.extend(fold.finish("awaiting_approval" if paused else "incomplete"))
    return spans
