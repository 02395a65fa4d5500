"""A generator driven to what it returns: the one loop for every caller that only wants a run's
(or a call's, or a cascade's) end, or hands each event on as it comes."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

E = TypeVar("E")
T = TypeVar("T")


def drained(events: Generator[E, Any, T], on_event: Callable[[E], object] | None = None) -> T:
    """What ``events`` returns, each event it yields first handed to ``on_event`` (if any)."""
    while True:
        try:
            event = next(events)
        except StopIteration as stop:
            done: T = stop.value
            return done
        if on_event is not None:
            on_event(event)
