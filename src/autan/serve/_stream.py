"""A run's journal, followed: the events from a sequence number on, then each new event as it
is appended, until the run ends. As Server-Sent Events each event's ``id`` is its journal
sequence number, so a client that reconnects with ``Last-Event-ID`` gets every event once."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import anyio.to_thread

from autan.events import Event, FinalAnswer, RunFailed
from autan.serve._hub import Hub
from autan.store import Store

POLL_SECONDS = 1.0
"""How often a follower looks at the journal unwoken: for events appended by other processes
(``autan runs approve`` on the same store)."""


async def follow(
    store: Store, hub: Hub, run_id: str, after: int
) -> AsyncIterator[tuple[int, Event]]:
    """``(seq, event)`` of ``run_id`` after sequence number ``after`` (-1: all), until the
    run's last event (an answer or a failure)."""
    cursor = after + 1
    with hub.subscription(run_id) as woken:
        while True:
            woken.clear()
            events = await anyio.to_thread.run_sync(store.load, run_id)
            for seq in range(cursor, len(events)):
                yield seq, events[seq]
            cursor = max(cursor, len(events))
            if events and isinstance(events[-1], FinalAnswer | RunFailed):
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), POLL_SECONDS)


async def journal_events(
    store: Store, hub: Hub, run_id: str, after: int
) -> AsyncIterator[dict[str, str]]:
    """``follow``, as the fields of Server-Sent Events."""
    async for seq, event in follow(store, hub, run_id, after):
        yield {
            "id": str(seq),
            "event": event.kind,
            "data": json.dumps(event.to_dict(), default=str),
        }
