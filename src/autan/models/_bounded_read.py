"""Reading a model server's answer from an httpx response within the bounds of ``_bounds``:
a body whole, an event stream piece by piece, sync and async. The raw bytes are read
(``iter_raw``) and decoded here, never by httpx, so nothing is inflated past the bound; every
piece is read within the time left (async: a timeout on each read; sync: the deadline is
checked after each piece, and each read waits no longer than the time left when it began)."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any, TypeVar

from autan.models._bounds import BoundedBody, Deadline, SSEData, check_length

T = TypeVar("T")

BODY_SETTING = "max_response_bytes"
STREAM_SETTING = "max_stream_bytes"


def read_body(response: Any, limit: int, name: str, deadline: Deadline) -> bytes:
    check_length(response.headers, limit, name, BODY_SETTING)
    body = _body(response, limit, name, BODY_SETTING)
    content = bytearray()
    for raw in response.iter_raw():
        content += body.feed(raw)
        deadline.check(name)
    return bytes(content + body.flush())


async def aread_body(response: Any, limit: int, name: str, deadline: Deadline) -> bytes:
    check_length(response.headers, limit, name, BODY_SETTING)
    body = _body(response, limit, name, BODY_SETTING)
    content = bytearray()
    pieces = response.aiter_raw()
    while (raw := await within(deadline, name, anext(pieces, None))) is not None:
        content += body.feed(raw)
    return bytes(content + body.flush())


def sse_data(response: Any, limit: int, name: str, deadline: Deadline) -> Iterator[str]:
    """The ``data`` of each event, until the stream ends."""
    body = _body(response, limit, name, STREAM_SETTING)
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    events = SSEData()
    for raw in response.iter_raw():
        deadline.check(name)
        yield from events.feed(text.decode(body.feed(raw)))
    yield from events.feed(text.decode(body.flush(), final=True))
    yield from events.flush()


async def asse_data(response: Any, limit: int, name: str, deadline: Deadline) -> AsyncIterator[str]:
    body = _body(response, limit, name, STREAM_SETTING)
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    events = SSEData()
    pieces = response.aiter_raw()
    while (raw := await within(deadline, name, anext(pieces, None))) is not None:
        for data in events.feed(text.decode(body.feed(raw))):
            yield data
    for data in [*events.feed(text.decode(body.flush(), final=True)), *events.flush()]:
        yield data


async def within(deadline: Deadline, name: str, awaitable: Awaitable[T]) -> T:
    """``await awaitable``, given up with ``ModelTimeout`` when the deadline passes."""
    scope = asyncio.timeout(max(deadline.left(), 0.0))
    try:
        async with scope:
            return await awaitable
    except TimeoutError:
        if not scope.expired():
            raise
    await asyncio.sleep(max(deadline.left(), 0.0))  # the event loop may wake a little early
    raise deadline.error(name)


def _body(response: Any, limit: int, name: str, setting: str) -> BoundedBody:
    return BoundedBody(limit, response.headers.get("content-encoding", ""), name, setting)
