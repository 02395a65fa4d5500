"""Running validated tool calls, sync or async; an exception becomes an error observation.

While a tool runs, ``idempotency_key()`` returns its call's key. A step's batch of calls runs
concurrently: in threads for the sync driver, as tasks for the async one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autan.agent.child import AgentCall
from autan.loop.effects import CallTool, CallTools, ToolOutcome
from autan.tools import render_output
from autan.tools._context import call_key

if TYPE_CHECKING:
    from autan.store import Store


def execute_tool(effect: CallTool, store: Store | None = None) -> ToolOutcome:
    """``store``: the run's, where a child run (``Agent.as_tool``) is journaled."""
    if isinstance(effect.tool.function, AgentCall):
        return effect.tool.function.perform(effect, store)
    started = time.perf_counter()
    try:
        with call_key(effect.key):
            value = effect.tool.function(**effect.arguments)
            if effect.tool.is_async:
                import asyncio  # loaded where used: most runs have no async tool

                value = asyncio.run(value)
    except Exception as error:
        return _failure(error, started)
    return ToolOutcome(render_output(value), False, time.perf_counter() - started)


async def aexecute_tool(effect: CallTool, store: Store | None = None) -> ToolOutcome:
    import asyncio

    if isinstance(effect.tool.function, AgentCall):
        return await asyncio.to_thread(effect.tool.function.perform, effect, store)
    started = time.perf_counter()
    try:
        value: Any
        with call_key(effect.key):
            if effect.tool.is_async:
                value = await effect.tool.function(**effect.arguments)
            else:
                value = await asyncio.to_thread(effect.tool.function, **effect.arguments)
    except Exception as error:
        return _failure(error, started)
    return ToolOutcome(render_output(value), False, time.perf_counter() - started)


def execute_batch(
    effect: CallTools, recorded: Sequence[ToolOutcome | None], store: Store | None = None
) -> tuple[ToolOutcome, ...]:
    """The outcome of every call of ``effect``: ``recorded`` where known, else run live."""
    live = [call for call, known in zip(effect.calls, recorded, strict=True) if known is None]
    if len(live) <= 1:
        done = [execute_tool(call, store) for call in live]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(live), thread_name_prefix="autan-tool") as pool:
            done = list(pool.map(lambda call: execute_tool(call, store), live))
    return _merge(recorded, done)


async def aexecute_batch(
    effect: CallTools, recorded: Sequence[ToolOutcome | None], store: Store | None = None
) -> tuple[ToolOutcome, ...]:
    import asyncio

    live = [call for call, known in zip(effect.calls, recorded, strict=True) if known is None]
    done = await asyncio.gather(*(aexecute_tool(call, store) for call in live))
    return _merge(recorded, done)


def _merge(
    recorded: Sequence[ToolOutcome | None], done: Sequence[ToolOutcome]
) -> tuple[ToolOutcome, ...]:
    fresh = iter(done)
    return tuple(known if known is not None else next(fresh) for known in recorded)


def _failure(error: Exception, started: float) -> ToolOutcome:
    return ToolOutcome(f"error: {error}", True, time.perf_counter() - started)
