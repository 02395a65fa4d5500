"""Running a cascade's steps, sync or async. The cascade's logic (``Cascade._go``) yields its
events and, for each tier run to drive, a ``TierRun``; the drivers here drive that run through
the agent's sync or async driver and send its ``Outcome`` back. One cascade, two ways to run
it, as ``autan.agent.driver`` does for a run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from autan.events import Event
from autan.loop.effects import Outcome

if TYPE_CHECKING:
    from autan.agent._agent import Agent
    from autan.agent.journal import Run

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TierRun:
    """A tier's run to drive (started or reopened): the cascade waits for its ``Outcome``."""

    agent: Agent[Any]
    run: Run


Steps = Generator[Event | TierRun, Outcome | None, T]


@dataclass
class Ended(Generic[T]):
    """Where ``driven_async`` leaves what the steps returned."""

    value: T | None = None


def driven(steps: Steps[T], stream: bool) -> Generator[Event, None, T]:
    """The cascade in this thread: its events and its tiers' events (text deltas when
    ``stream``), then what it returned."""
    sent: Outcome | None = None
    try:
        while True:
            try:
                item = steps.send(sent)
            except StopIteration as stop:
                done: T = stop.value
                return done
            if isinstance(item, TierRun):
                sent = yield from item.agent._events(item.run, stream)
            else:
                sent = None
                yield item
    finally:
        steps.close()


async def driven_async(steps: Steps[T], stream: bool, ended: Ended[T]) -> AsyncIterator[Event]:
    """``driven`` without blocking the event loop on the tiers' model and tool calls (the
    journal's writes and the verifier still run on it); ``ended.value`` is what it returned."""
    sent: Outcome | None = None
    try:
        while True:
            try:
                item = steps.send(sent)
            except StopIteration as stop:
                ended.value = stop.value
                return
            sent = None
            if not isinstance(item, TierRun):
                yield item
                continue
            outcomes: list[Outcome] = []
            async for event in item.agent._aevents(item.run, stream, outcomes):
                yield event
            sent = outcomes[0]
    finally:
        steps.close()
