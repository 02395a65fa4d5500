"""Reading a model server's answer from an httpx response within the bounds of ``_bounds``:
a body whole, an event stream piece by piece (async; sync callers run these on the loop
thread, ``_loop_thread``). The raw bytes are read (``aiter_raw``) and decoded here, never by
httpx, so nothing is inflated past the bound; every piece is read within the time left."""

from __future__ import annotations

import asyncio
import codecs
import json
from collections.abc import AsyncGenerator, Awaitable
from typing import Any, TypeVar

from autan.models._bounds import BoundedBody, Deadline, SSEData, check_length

T = TypeVar("T")

BODY_SETTING = "max_response_bytes"
STREAM_SETTING = "max_stream_bytes"


async def aread_and_close(
    response: Any, limit: int, name: str, deadline: Deadline, setting: str = BODY_SETTING
) -> bytes:
    """A body whole, every piece within the time left; the response is closed after.
    ``setting`` names the bound in the error."""
    try:
        check_length(response.headers, limit, name, setting)
        body = _body(response, limit, name, setting)
        content = bytearray()
        pieces = response.aiter_raw()
        while (raw := await within(deadline, name, anext(pieces, None))) is not None:
            content += body.feed(raw)
        return bytes(content + body.flush())
    finally:
        await response.aclose()


async def achunks(
    response: Any, limit: int, name: str, deadline: Deadline
) -> AsyncGenerator[Any, None]:
    stream = _Chunks(response, limit, name)
    pieces = response.aiter_raw()
    try:
        while (raw := await within(deadline, name, anext(pieces, None))) is not None:
            for chunk in stream.feed(raw):
                yield chunk
            if stream.ended:
                return
        for chunk in stream.finish():
            yield chunk
    finally:
        await response.aclose()


class _Chunks:
    """An event stream's raw bytes in, its JSON chunks out; ``ended`` once ``[DONE]`` came."""

    def __init__(self, response: Any, limit: int, name: str) -> None:
        self._body = _body(response, limit, name, STREAM_SETTING)
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._events = SSEData()
        self.ended = False

    def feed(self, raw: bytes) -> list[Any]:
        return self._chunks(self._events.feed(self._text.decode(self._body.feed(raw))))

    def finish(self) -> list[Any]:
        rest = self._text.decode(self._body.flush(), final=True)
        return self._chunks([*self._events.feed(rest), *self._events.flush()])

    def _chunks(self, events: list[str]) -> list[Any]:
        found = []
        for data in events:
            if self.ended or data.strip() == "[DONE]":  # the OpenAI stream's last event
                self.ended = True
                break
            try:
                chunk = json.loads(data)
            except (ValueError, RecursionError):
                continue  # not JSON (a keep-alive, say): skipped
            if chunk is not None:
                found.append(chunk)
        return found


def is_event_stream(response: Any) -> bool:
    content_type = response.headers.get("content-type", "")
    return bool(response.status_code < 400 and "event-stream" in content_type)


def text_of(content: bytes) -> str:
    return content.decode("utf-8", errors="replace")


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
