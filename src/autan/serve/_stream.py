"""A run's journal, followed: the events from a sequence number on, then each new event as it
is appended, until the run ends. As Server-Sent Events each event's ``id`` is its journal
sequence number, so a client that reconnects with ``Last-Event-ID`` gets every event once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import anyio.to_thread

from autan.events import Event, FinalAnswer, RunFailed
from autan.serve._hub import Hub
from autan.store import Store

POLL_SECONDS = 1.0
"""How often a follower looks at the journal unwoken: for events appended by other processes
(``autan runs approve`` on the same store)."""


class Tails:
    """The journals of followed runs, read once per change (or per half poll interval) and
    shared by all the followers of a run, instead of once per follower."""

    def __init__(self, store: Store, hub: Hub) -> None:
        self.store = store
        self.hub = hub
        self._read: dict[str, tuple[int, float, list[Event]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._messages: dict[str, list[dict[str, str]]] = {}

    async def events(self, run_id: str) -> list[Event]:
        lock = self._locks.setdefault(run_id, asyncio.Lock())
        async with lock:
            version = self.hub.version(run_id)  # before the read: a later change reads again
            kept = self._read.get(run_id)
            if kept and kept[0] == version and time.monotonic() - kept[1] < POLL_SECONDS / 2:
                return kept[2]
            read_at = time.monotonic()
            events = await anyio.to_thread.run_sync(self.store.load, run_id)
            self._read[run_id] = (version, read_at, events)
            return events

    def message(self, run_id: str, seq: int, event: Event) -> dict[str, str]:
        """Event ``seq`` of the run as the fields of a Server-Sent Event, encoded once."""
        encoded = self._messages.setdefault(run_id, [])
        while len(encoded) <= seq:
            encoded.append({})
        if not encoded[seq]:
            data = json.dumps(event.to_dict(), default=str)
            encoded[seq] = {"id": str(seq), "event": event.kind, "data": data}
        return encoded[seq]

    def forget(self, run_id: str) -> None:
        """Drop what is kept of a run nobody follows any more."""
        if not self.hub.followed(run_id):
            self._read.pop(run_id, None)
            self._locks.pop(run_id, None)
            self._messages.pop(run_id, None)


async def follow(tails: Tails, run_id: str, after: int) -> AsyncIterator[tuple[int, Event]]:
    """``(seq, event)`` of ``run_id`` after sequence number ``after`` (-1: all), until the
    run's last event (an answer or a failure)."""
    try:
        async for item in _follow(tails, run_id, after):
            yield item
    finally:
        tails.forget(run_id)


async def _follow(tails: Tails, run_id: str, after: int) -> AsyncIterator[tuple[int, Event]]:
    cursor = after + 1
    with tails.hub.subscription(run_id) as woken:
        while True:
            woken.clear()
            events = await tails.events(run_id)
            for seq in range(cursor, len(events)):
                yield seq, events[seq]
            cursor = max(cursor, len(events))
            if events and isinstance(events[-1], FinalAnswer | RunFailed):
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), POLL_SECONDS)


async def journal_events(tails: Tails, run_id: str, after: int) -> AsyncIterator[dict[str, str]]:
    """``follow``, as the fields of Server-Sent Events."""
    async for seq, event in follow(tails, run_id, after):
        yield {
            "id": str(seq),
            "event": event.kind,
            "data": json.dumps(event.to_dict(), default=str),
        }
