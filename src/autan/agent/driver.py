"""The one driver: runs the loop over a run's journal, for every way of running an agent (sync,
async, streaming, resume, replay).

``drive`` journals each event the loop yields and answers each effect from the journal where it
holds the outcome; only the effects still to be performed come out, as ``Live`` or
``LiveBatch``. ``run_sync`` and ``run_async`` differ only in how they perform those.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import cast

from autan.agent.journal import Run
from autan.agent.perform import Done, Live, LiveBatch, Performer, Work
from autan.errors import AutanError
from autan.events import Event, encodable
from autan.loop.effects import CallTool, CallTools, LoopStep, Outcome

Driving = Generator[Event | Work, object, Outcome]


def drive(run: Run, loop: LoopStep) -> Driving:
    """Events are journaled, then passed on; the outcome sent back for a ``Work`` item goes to
    the loop (an ``AutanError`` is thrown into it, for it to record). An outcome's text is made
    ``encodable`` here, where it enters the loop, so what the loop keeps is what it journals.
    A replayed event is passed on as it was recorded (with the time it first happened)."""
    item = next(loop)
    while True:
        sent: object = None
        if isinstance(item, Event):
            recorded = run.journal.record(item)
            if run.watcher is not None:
                run.watcher(recorded or item, recorded is not None)
            yield recorded or item
        elif isinstance(item, CallTools):
            known = run.journal.replay_batch(item)
            logs = tuple(run.journal.sample_log(call) for call in item.calls)
            sent = yield LiveBatch(item, known, logs)
        else:
            sent = run.journal.replay(item)
            if sent is None:
                log = run.journal.sample_log(item) if isinstance(item, CallTool) else None
                sent = yield Live(item, log)
        try:
            item = loop.throw(sent) if isinstance(sent, AutanError) else loop.send(encodable(sent))
        except StopIteration as stop:
            return cast(Outcome, stop.value)


def run_sync(driving: Driving, performer: Performer) -> Generator[Event, None, Outcome]:
    """Perform in this thread (a batch in threads); yields events, text deltas included."""
    sent: object = None
    while True:
        try:
            item = driving.send(sent)
        except StopIteration as stop:
            return cast(Outcome, stop.value)
        if isinstance(item, Event):
            sent = None
            yield item
        else:
            sent = yield from performer.perform(item)


async def run_async(
    driving: Driving, performer: Performer, ended: list[Outcome]
) -> AsyncIterator[Event]:
    """Perform without blocking the event loop; appends the ``Outcome`` to ``ended``."""
    sent: object = None
    while True:
        try:
            item = driving.send(sent)
        except StopIteration as stop:
            ended.append(cast(Outcome, stop.value))
            return
        sent = None
        if isinstance(item, Event):
            yield item
            continue
        async for piece in performer.aperform(item):
            if isinstance(piece, Done):
                sent = piece.value
            else:
                yield piece
