"""A run's journal, followed: the events from a sequence number on, then each new event as it
is appended, until the run ends. As Server-Sent Events each event's ``id`` is its journal
sequence number, so a client that reconnects with ``Last-Event-ID`` gets every event once.

A follower may also ask for the text deltas of the model calls in progress (``text_delta``
messages, without an ``id``). They are live only and never replayed: a client that reconnects
gets the journal's events after its ``Last-Event-ID`` and the deltas from then on. A delta
of a step whose ``model_response`` the follower has already had is dropped, so the deltas of a
step always come before that step's journaled response, which holds its whole text. So do the
events of child runs (``child_event``, live only too): they come before the ``tool_result``s
of the step whose call runs the child."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import anyio.to_thread

from autan.events import (
    ChildEvent,
    Event,
    FinalAnswer,
    ModelRequested,
    ModelResponded,
    RunFailed,
    TextDelta,
    ToolResulted,
)
from autan.serve._hub import Hub, Live
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


Item = tuple[int | None, Event]
"""A journaled event with its sequence number, or a text delta or child event (``None``: not
journaled)."""


async def follow(
    tails: Tails, run_id: str, after: int, deltas: bool = False
) -> AsyncIterator[Item]:
    """``(seq, event)`` of ``run_id`` after sequence number ``after`` (-1: all), until the
    run's last event (an answer or a failure); with ``deltas``, also ``(None, TextDelta)``
    as the model writes."""
    try:
        async for item in _follow(tails, run_id, after, deltas):
            yield item
    finally:
        tails.forget(run_id)


async def _follow(tails: Tails, run_id: str, after: int, deltas: bool) -> AsyncIterator[Item]:
    cursor, order = after + 1, _DeltaOrder()
    with tails.hub.subscription(run_id, deltas) as subscriber:
        while True:
            subscriber.woken.clear()
            events = await tails.events(run_id)
            order.arrived(subscriber.take_deltas())  # after the read: all those of its steps
            for seq in range(order.scanned, len(events)):
                for delta in order.before(events[seq]):
                    yield None, delta
                if seq >= cursor:
                    yield seq, events[seq]
            order.scanned = cursor = max(cursor, len(events))
            for delta in order.ready():
                yield None, delta
            if events and isinstance(events[-1], FinalAnswer | RunFailed):
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(subscriber.woken.wait(), POLL_SECONDS)


class _DeltaOrder:
    """Puts each step's deltas after its ``model_request`` and before its ``model_response``
    (every delta of a step is published before its response is appended, so a journal read
    that holds the response is followed by a take that holds the deltas)."""

    def __init__(self) -> None:
        self.scanned = 0
        self._requested = self._responded = -1
        self._waiting: list[TextDelta] = []
        self._children: list[ChildEvent] = []

    def arrived(self, deltas: list[Live]) -> None:
        text = [d for d in deltas if isinstance(d, TextDelta)]
        self._waiting += [d for d in text if d.step > self._responded]
        self._children += [d for d in deltas if isinstance(d, ChildEvent)]

    def before(self, event: Event) -> list[Live]:
        """The deltas to send before ``event``; notes the steps it opens or closes. A child's
        events all come before its call's result (a step's results are journaled together,
        once all its calls ended)."""
        if isinstance(event, ToolResulted):
            children: list[Live] = list(self._children)
            self._children = []
            return children
        if isinstance(event, ModelRequested):
            self._requested = max(self._requested, event.step)
        if not isinstance(event, ModelResponded):
            return []
        self._responded = max(self._responded, event.step)
        due: list[Live] = [d for d in self._waiting if d.step == event.step]
        self._waiting = [d for d in self._waiting if d.step > self._responded]
        return due

    def ready(self) -> list[Live]:
        """The deltas of the step being written now, and the child events so far."""
        due: list[Live] = [d for d in self._waiting if d.step <= self._requested]
        self._waiting = [d for d in self._waiting if d.step > self._requested]
        due += self._children
        self._children = []
        return due


async def journal_events(
    tails: Tails, run_id: str, after: int, deltas: bool = False
) -> AsyncIterator[dict[str, str]]:
    """``follow``, as the fields of Server-Sent Events (a delta has no ``id``: a client's
    ``Last-Event-ID`` stays the last journaled event it got)."""
    async for seq, event in follow(tails, run_id, after, deltas):
        if seq is None:
            yield {"event": event.kind, "data": json.dumps(event.to_dict())}
        else:
            yield tails.message(run_id, seq, event)
