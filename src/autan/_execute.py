"""Running one validated tool call, sync or async; an exception becomes an error observation.

While the tool runs, ``idempotency_key()`` returns the call's key.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from autan.loop import CallTool, ToolOutcome
from autan.tools import render_output
from autan.tools._context import call_key


def execute_tool(effect: CallTool) -> ToolOutcome:
    started = time.perf_counter()
    try:
        with call_key(effect.key):
            value = effect.tool.function(**effect.arguments)
            if effect.tool.is_async:
                value = asyncio.run(value)
    except Exception as error:
        return _failure(error, started)
    return ToolOutcome(render_output(value), False, time.perf_counter() - started)


async def aexecute_tool(effect: CallTool) -> ToolOutcome:
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


def _failure(error: Exception, started: float) -> ToolOutcome:
    return ToolOutcome(f"error: {error}", True, time.perf_counter() - started)
