"""Wake-ups for the clients that follow a run: a thread that appends an event to a run calls
``notify``; each subscriber's ``asyncio.Event`` is set on the server's event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._versions: dict[str, int] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop the subscribers wait on (the server's)."""
        self._loop = loop

    @contextmanager
    def subscription(self, run_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever run ``run_id`` gets a new journal event (call on the loop)."""
        woken = asyncio.Event()
        with self._lock:
            self._waiting.setdefault(run_id, set()).add(woken)
        try:
            yield woken
        finally:
            with self._lock:
                waiting = self._waiting.get(run_id, set())
                waiting.discard(woken)
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
        if waiting and self._loop is not None and not self._loop.is_closed():
            for woken in waiting:
                self._loop.call_soon_threadsafe(woken.set)
