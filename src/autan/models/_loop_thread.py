"""The sync httpx path, run on the async one: an event loop of the process's own in a daemon
thread, on which sync callers' requests run as coroutines. A wait there ends at its deadline
by ``asyncio.timeout`` wherever the request stands (connecting, a proxy's ``CONNECT``, TLS,
headers trickled a byte at a time, the body), which a sync httpx read cannot: its timeout
starts again with every byte. One implementation serves sync and async callers.

The standard library's ``run_coroutine_threadsafe`` carries each call; anyio's blocking portal
would too, but its thread is not a daemon and lives inside a ``with``, which a process-wide
loop cannot close. After a fork the child starts a loop of its own."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid = 0


def own_loop() -> asyncio.AbstractEventLoop:
    """The process's loop thread's loop, started on first use."""
    global _loop, _pid
    with _lock:
        if _loop is None or _pid != os.getpid():
            _loop = asyncio.new_event_loop()
            _pid = os.getpid()
            thread = threading.Thread(target=_loop.run_forever, name="autan-http", daemon=True)
            thread.start()
        return _loop


def on_own_loop() -> bool:
    """Whether the running code is on ``own_loop``."""
    try:
        return asyncio.get_running_loop() is _loop
    except RuntimeError:
        return False


CLEAN_UP_SECONDS = 2.0
"""How long an interrupted caller waits for its cancelled request to close its connection."""


def run_there(coroutine: Coroutine[Any, Any, T]) -> T:
    """``coroutine``'s result, run on the loop thread. An interrupted wait (Ctrl-C) cancels
    it, and returns once it has ended there (an event stream may then be closed)."""
    ended = threading.Event()
    future = asyncio.run_coroutine_threadsafe(_until_ended(coroutine, ended), own_loop())
    try:
        return future.result()
    except BaseException:
        if future.cancel():  # not ended yet (one cancelled before it began never says so)
            ended.wait(CLEAN_UP_SECONDS)
        raise


async def _until_ended(coroutine: Coroutine[Any, Any, T], ended: threading.Event) -> T:
    try:
        return await coroutine
    finally:
        ended.set()


def iterate_there(pieces: AsyncIterator[T]) -> Iterator[T]:
    """``pieces`` as a sync iterator, each step run on the loop thread; closing it (or
    dropping it) closes ``pieces`` there."""
    try:
        while (piece := run_there(_next(pieces))) is not _END:
            yield piece  # type: ignore[misc]
    finally:
        closing = getattr(pieces, "aclose", None)
        if closing is not None:
            run_there(closing())


_END = object()


async def _next(pieces: AsyncIterator[T]) -> T | object:
    return await anext(pieces, _END)
