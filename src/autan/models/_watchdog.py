"""The end of a sync exchange at its deadline. A blocking read that has begun keeps the
timeout it began with; one thread shuts down the socket of each exchange whose deadline has
passed, and the read waiting on it returns at once (the exchange then fails, and the caller
sees that its deadline has passed). Arming and disarming cost a lock and a heap operation."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from autan.models._bounds import Deadline

_Entry = list[object]  # [at, order, socket]: mutable, so that it can be found and removed


class _Watchdog:
    def __init__(self) -> None:
        self._due: list[_Entry] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, at: float, sock: socket.socket) -> _Entry:
        entry: _Entry = [at, next(self._order), sock]
        with self._changed:
            heapq.heappush(self._due, entry)
            if self._thread is None or not self._thread.is_alive():  # none yet, or forked
                self._thread = threading.Thread(target=self._watch, name="autan-deadline")
                self._thread.daemon = True
                self._thread.start()
            self._changed.notify()
        return entry

    def disarm(self, entry: _Entry) -> None:
        with self._changed:
            if entry in self._due:
                self._due.remove(entry)
                heapq.heapify(self._due)

    def _watch(self) -> None:
        with self._changed:
            while True:
                if not self._due:
                    self._changed.wait()
                    continue
                wait = float(self._due[0][0]) - time.perf_counter()  # type: ignore[arg-type]
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                _shut_down(heapq.heappop(self._due)[2])


def _shut_down(sock: object) -> None:
    with contextlib.suppress(OSError):  # closed already
        # the plain socket's call, also for TLS: the TLS layer then reads an end of file
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # type: ignore[arg-type]


_WATCHDOG = _Watchdog()


@contextmanager
def cut_off_at(deadline: Deadline, sock: socket.socket | None) -> Iterator[None]:
    """While inside, ``sock`` is shut down if the deadline passes."""
    if sock is None or not deadline.bounded:
        yield
        return
    entry = _WATCHDOG.arm(deadline.at, sock)
    try:
        yield
    finally:
        _WATCHDOG.disarm(entry)
