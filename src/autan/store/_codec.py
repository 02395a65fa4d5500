"""How an event becomes a journal row and back: JSON with a ``type`` and a schema version.

Never pickle: decoding builds only autan's own event records from JSON values, so reading a
journal cannot execute code. ``EVENT_SCHEMA`` goes up when an event's encoding changes in a way
older readers would misread; a newer row than this version knows is refused, not guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from autan.errors import StoreError
from autan.events import Event

EVENT_SCHEMA = 1


def encode_event(event: Event) -> str:
    return dump_json(event.to_dict())


def decode_event(kind: str, schema: int, data: str) -> Event:
    if schema > EVENT_SCHEMA:
        raise StoreError(
            f"event written with schema {schema}; this version of autan reads up to {EVENT_SCHEMA}"
        )
    try:
        payload = json.loads(data)
        if payload.get("type") != kind:
            raise ValueError(f"row type {kind!r} does not match its data")
        return Event.from_dict(payload)
    except (ValueError, AttributeError) as error:
        raise StoreError(f"unreadable {kind} event: {error}") from None
    except RecursionError:
        raise StoreError(f"unreadable {kind} event: nested too deep") from None


def events_from_rows(run_id: str, rows: Sequence[Sequence[Any]], start: int = 0) -> list[Event]:
    """Events from ``(seq, type, schema, data)`` rows in order, the first numbered ``start``;
    a gap in ``seq`` is an error."""
    for expected, (seq, *_) in enumerate(rows, start):
        if seq != expected:
            raise StoreError(f"run {run_id}: event {expected} is missing from the journal")
    return [decode_event(kind, schema, data) for _, kind, schema, data in rows]


def dump_json(value: Mapping[str, Any]) -> str:
    """Compact JSON; a value JSON cannot hold is written as its ``str``."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def load_json(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as error:
        raise StoreError(f"unreadable JSON in the journal: {error}") from None
    except RecursionError:
        raise StoreError("unreadable JSON in the journal: nested too deep") from None
    if not isinstance(value, dict):
        raise StoreError("unreadable JSON in the journal: not an object")
    return value
