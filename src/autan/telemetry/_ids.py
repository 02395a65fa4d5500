"""Trace and span ids made from the run id, so that every export of a run (live, after a
resume, or from the store afterwards) gives the same ids: a resumed run continues its trace,
and a backend that keys spans by id sees one span, not two."""

from __future__ import annotations

import hashlib


def trace_id(run_id: str) -> int:
    return _digest(f"trace:{run_id}", 16)


def span_id(run_id: str, key: str) -> int:
    return _digest(f"span:{run_id}:{key}", 8)


def _digest(text: str, size: int) -> int:
    value = int.from_bytes(hashlib.sha256(text.encode()).digest()[:size], "big")
    return value or 1  # an all-zero id is invalid in OpenTelemetry
