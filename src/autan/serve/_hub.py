"""Wake-ups for the clients that follow a run: a thread that appends an event to a run calls
``notify``; each subscriber's ``asyncio.Event`` is set on the server's event loop. Text deltas
(model output as it is generated, never journaled) and child runs' events (``ChildEvent``:
journaled in the child's run, not this one) are handed to the subscribers that asked for them
with ``publish``: live only, a subscriber that was not there when one was made never gets
it."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from autan.events import ChildEvent, TextDelta

Live = TextDelta | ChildEvent
"""What ``publish`` hands on: never journaled in the run followed."""

MAX_PENDING_DELTAS = 10_000
"""Deltas kept for a subscriber that does not read them; older ones are dropped (the step's
journaled ``model_response`` has the whole text)."""


@dataclass(eq=False)
class Subscription:
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    deltas: deque[Live] | None = None
    """The deltas published since the subscriber last took them; ``None``: it wants none."""

    def take_deltas(self) -> list[Live]:
        if not self.deltas:
            return []
        taken = list(self.deltas)
        self.deltas.clear()
        return taken

    def deliver(self, delta: Live) -> None:
        assert self.deltas is not None
        self.deltas.append(delta)
        self.woken.set()


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[str, set[Subscription]] = {}
        self._versions: dict[str, int] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop the subscribers wait on (the server's)."""
        self._loop = loop

    @contextmanager
    def subscription(self, run_id: str, deltas: bool = False) -> Iterator[Subscription]:
        """A subscription whose ``woken`` is set whenever run ``run_id`` gets a new journal
        event (and, with ``deltas``, a text delta); call on the loop."""
        subscriber = Subscription(deltas=deque(maxlen=MAX_PENDING_DELTAS) if deltas else None)
        with self._lock:
            self._waiting.setdefault(run_id, set()).add(subscriber)
        try:
            yield subscriber
        finally:
            with self._lock:
                waiting = self._waiting.get(run_id, set())
                waiting.discard(subscriber)
                if not waiting:
                    self._waiting.pop(run_id, None)
                    self._versions.pop(run_id, None)

    def followed(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._waiting

    def version(self, run_id: str) -> int:
        """How many times ``run_id`` changed while it was followed (a journal read made after
        this is as new as this number)."""
        with self._lock:
            return self._versions.get(run_id, 0)

    def notify(self, run_id: str) -> None:
        """From any thread: wake the subscribers of ``run_id``."""
        with self._lock:
            waiting = list(self._waiting.get(run_id, ()))
            if waiting:
                self._versions[run_id] = self._versions.get(run_id, 0) + 1
        for subscriber in waiting:
            self._call(subscriber.woken.set)

    def publish(self, run_id: str, delta: Live) -> None:
        """From any thread: hand ``delta`` to the subscribers of ``run_id`` that want deltas."""
        with self._lock:
            wanting = [s for s in self._waiting.get(run_id, ()) if s.deltas is not None]
        for subscriber in wanting:
            self._call(subscriber.deliver, delta)

    def _call(self, callback: Callable[..., None], *arguments: object) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(callback, *arguments)
