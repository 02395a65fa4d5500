"""A blocking iterator consumed from async code: it runs in a worker thread, and its items
reach the event loop through a queue as they come."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Raised:
    error: BaseException


_END = object()


async def stream_in_thread(items: Iterator[T]) -> AsyncIterator[T]:
    """Yield ``items`` without blocking the event loop; an error in the thread is raised here.
    If the consumer stops early, the thread is left to finish the iterator on its own."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()

    def produce() -> None:
        try:
            for item in items:
                loop.call_soon_threadsafe(queue.put_nowait, item)
        except BaseException as error:
            loop.call_soon_threadsafe(queue.put_nowait, _Raised(error))
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, _END)

    worker = asyncio.ensure_future(asyncio.to_thread(produce))
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, _Raised):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        if worker.done():
            await worker
