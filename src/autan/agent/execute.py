"""Running validated tool calls, sync or async; an exception becomes an error observation.

While a tool runs, ``idempotency_key()`` returns its call's key and ``current_requests()`` what
its server may ask (the answers and the sampling budget the loop gave the call); what the server
asked comes back in the ``ToolOutcome``. A step's batch of calls runs concurrently (in threads
for the sync driver, as tasks for the async one), sharing one sampling allowance. The events of
the child runs among them (``ChildCall``) come out as they happen: yielded by ``stream_batch``,
handed to ``on_event`` by ``aexecute_batch`` (from a worker thread).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

from autan.agent.child import ChildCall
from autan.agent.drained import drained
from autan.events import ChildEvent
from autan.loop.effects import CallTool, CallTools, ToolOutcome
from autan.tools import render_output
from autan.tools._context import call_key
from autan.tools._server_requests import Allowance, CallRequests, SampleLog, serving

if TYPE_CHECKING:
    from autan.store import Store


def execute_tool(
    effect: CallTool,
    store: Store | None = None,
    allowance: Allowance | None = None,
    log: SampleLog | None = None,
) -> ToolOutcome:
    """``store``: the run's, where a child run (``Agent.as_tool``) is journaled; ``log``: where
    its server's samples are journaled as they are answered."""
    if isinstance(effect.tool.function, ChildCall):
        return effect.tool.function.perform(effect, store)
    started = time.perf_counter()
    requests = _requests(effect, allowance, log)
    try:
        with call_key(effect.key), serving(requests):
            value = effect.tool.function(**effect.arguments)
            if effect.tool.is_async:
                import asyncio  # loaded where used: most runs have no async tool

                value = asyncio.run(value)
    except Exception as error:
        return _outcome(requests, _failure(error, started))
    return _outcome(requests, ToolOutcome(render_output(value), False, _since(started)))


async def aexecute_tool(
    effect: CallTool,
    store: Store | None = None,
    allowance: Allowance | None = None,
    log: SampleLog | None = None,
    on_event: OnEvent | None = None,
    stream_text: bool = False,
) -> ToolOutcome:
    """``on_event``: what a child run's events are handed to, in a worker thread."""
    import asyncio

    child = effect.tool.function
    if isinstance(child, ChildCall):
        events = child.events(effect, store, stream_text)
        return await asyncio.to_thread(drained, events, on_event)
    started = time.perf_counter()
    requests = _requests(effect, allowance, log)
    try:
        value: Any
        with call_key(effect.key), serving(requests):
            if effect.tool.is_async:
                value = await effect.tool.function(**effect.arguments)
            else:
                value = await asyncio.to_thread(effect.tool.function, **effect.arguments)
    except Exception as error:
        return _outcome(requests, _failure(error, started))
    return _outcome(requests, ToolOutcome(render_output(value), False, _since(started)))


OnEvent = Callable[[ChildEvent], None]


def _requests(effect: CallTool, allowance: Allowance | None, log: SampleLog | None) -> CallRequests:
    if allowance is None:
        allowance = Allowance(effect.budget)
    return CallRequests(effect.replies, effect.may_ask, allowance, log=log)


def _outcome(requests: CallRequests, outcome: ToolOutcome) -> ToolOutcome:
    """The outcome with what the server asked; a call stopped by a question has no result."""
    samples = requests.every_sample()
    if requests.question is not None:
        return ToolOutcome("", False, outcome.seconds, outcome.child, samples, requests.question)
    if samples:
        return ToolOutcome(
            outcome.output, outcome.is_error, outcome.seconds, outcome.child, samples
        )
    return outcome


def _since(started: float) -> float:
    return time.perf_counter() - started


def _shared(calls: Sequence[CallTool]) -> Allowance | None:
    """One allowance for a batch's calls: they spend the same budget, the run's."""
    return Allowance(calls[0].budget) if calls else None


Logs = Sequence[SampleLog | None]
"""Each call's ``SampleLog`` (``None`` where the run keeps no journal)."""


def execute_batch(
    effect: CallTools,
    recorded: Sequence[ToolOutcome | None],
    store: Store | None = None,
    logs: Logs = (),
) -> tuple[ToolOutcome, ...]:
    """The outcome of every call of ``effect``: ``recorded`` where known, else run live."""
    live = _live(effect, recorded, logs)
    allowance = _shared([call for call, _ in live])
    if len(live) <= 1:
        done = [execute_tool(call, store, allowance, log) for call, log in live]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(live), thread_name_prefix="autan-tool") as pool:
            done = list(pool.map(lambda one: execute_tool(one[0], store, allowance, one[1]), live))
    return _merge(recorded, done)


def stream_batch(
    effect: CallTools,
    recorded: Sequence[ToolOutcome | None],
    store: Store | None,
    stream_text: bool,
    logs: Logs = (),
) -> Generator[ChildEvent, None, tuple[ToolOutcome, ...]]:
    """``execute_batch``, yielding the events of the child runs among the calls as they
    happen (one call alone runs in this thread, several in threads)."""
    live = _live(effect, recorded, logs)
    if not any(isinstance(call.tool.function, ChildCall) for call, _ in live):
        return execute_batch(effect, recorded, store, logs)
    if len(live) == 1 and isinstance(child := live[0][0].tool.function, ChildCall):
        return _merge(recorded, [(yield from child.events(live[0][0], store, stream_text))])
    done = yield from _in_threads(live, store, stream_text)
    return _merge(recorded, done)


def _in_threads(
    live: Sequence[tuple[CallTool, SampleLog | None]], store: Store | None, stream_text: bool
) -> Generator[ChildEvent, None, list[ToolOutcome]]:
    import queue
    from concurrent.futures import ThreadPoolExecutor

    allowance = _shared([call for call, _ in live])
    events: queue.SimpleQueue[ChildEvent | None] = queue.SimpleQueue()

    def run(call: CallTool, log: SampleLog | None) -> ToolOutcome:
        try:
            child = call.tool.function
            if isinstance(child, ChildCall):
                return drained(child.events(call, store, stream_text), events.put)
            return execute_tool(call, store, allowance, log)
        finally:
            events.put(None)  # this call is done

    with ThreadPoolExecutor(max_workers=len(live), thread_name_prefix="autan-tool") as pool:
        futures = [pool.submit(run, call, log) for call, log in live]
        running = len(futures)
        while running:
            event = events.get()
            if event is None:
                running -= 1
            else:
                yield event
        return [future.result() for future in futures]


async def aexecute_batch(
    effect: CallTools,
    recorded: Sequence[ToolOutcome | None],
    store: Store | None = None,
    logs: Logs = (),
    on_event: OnEvent | None = None,
    stream_text: bool = False,
) -> tuple[ToolOutcome, ...]:
    import asyncio

    live = _live(effect, recorded, logs)
    allowance = _shared([call for call, _ in live])
    done = await asyncio.gather(
        *(aexecute_tool(call, store, allowance, log, on_event, stream_text) for call, log in live)
    )
    return _merge(recorded, done)


def _live(
    effect: CallTools, recorded: Sequence[ToolOutcome | None], logs: Logs
) -> list[tuple[CallTool, SampleLog | None]]:
    """The calls to run now, each with its ``SampleLog``."""
    every = list(logs) or [None] * len(effect.calls)
    calls = zip(effect.calls, recorded, every, strict=True)
    return [(call, log) for call, known, log in calls if known is None]


def _merge(
    recorded: Sequence[ToolOutcome | None], done: Sequence[ToolOutcome]
) -> tuple[ToolOutcome, ...]:
    fresh = iter(done)
    return tuple(known if known is not None else next(fresh) for known in recorded)


def _failure(error: Exception, started: float) -> ToolOutcome:
    return ToolOutcome(f"error: {error}", True, _since(started))
