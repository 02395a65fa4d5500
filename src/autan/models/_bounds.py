"""Bounds on one exchange with a model server: a deadline for the whole request (its retries
included), and a size bound on what is read from it, counted after decompression, so that
neither a slow or endless answer nor a huge or compressed one can hold a run."""

from __future__ import annotations

import math
import re
import time
import zlib
from typing import Any

from autan.errors import ModelTimeout, ResponseTooLarge, ServerError

_SSE_LINE_END = re.compile(r"\r\n|\r|\n")


class Deadline:
    """A point in time by which a request must have its whole answer. On ``perf_counter``, the
    loop's clock: a request given the run's time left passes its deadline no sooner than the
    run passes its limit."""

    __slots__ = ("at", "seconds")

    def __init__(self, *seconds: float | None) -> None:
        """The nearest of ``seconds`` from now; ``None`` is no bound (all ``None``: never)."""
        bounds = [s for s in seconds if s is not None]
        self.seconds = min(bounds) if bounds else math.inf
        self.at = time.perf_counter() + self.seconds

    @property
    def bounded(self) -> bool:
        return self.seconds != math.inf

    def left(self) -> float:
        return self.at - time.perf_counter()

    def passed(self) -> bool:
        return self.left() <= 0

    def timeout(self, seconds: float) -> float:
        """``seconds`` for one wait (a connect, a read), or less when the deadline is nearer."""
        return max(0.001, min(seconds, self.left()))

    def check(self, name: str) -> None:
        if self.passed():
            raise self.error(name)

    def error(self, name: str) -> ModelTimeout:
        return ModelTimeout(f"{name}: no complete answer within {self.seconds:g} s")


class BoundedBody:
    """Decodes a body (``Content-Encoding`` gzip or deflate, or none) piece by piece and raises
    ``ResponseTooLarge`` as soon as more than ``limit`` bytes would come out of it: a
    compressed piece is never inflated past the bound. The compressed bytes count against it
    too (what follows the end of a compressed stream is kept by zlib)."""

    def __init__(self, limit: int, encoding: str, name: str, setting: str) -> None:
        self._left = limit
        self._raw_left = limit
        self._limit = limit
        self._name = name
        self._setting = setting
        self._inflater = _inflater(encoding.strip().lower(), name)

    def feed(self, raw: bytes) -> bytes:
        if self._inflater is None:
            return self._take(raw)
        self._raw_left -= len(raw)
        if self._raw_left < 0:
            raise too_large(self._name, self._limit, self._setting)
        try:
            return self._take(self._inflater.decompress(raw, self._left + 1))
        except zlib.error as error:
            message = f"{self._name}: a compressed answer that does not inflate: {error}"
            raise ServerError(message) from None

    def flush(self) -> bytes:
        # feed() consumed all input unless it raised, so what is left is at most zlib's window
        return b"" if self._inflater is None else self._take(self._inflater.flush())

    def _take(self, data: bytes) -> bytes:
        if len(data) > self._left:
            raise too_large(self._name, self._limit, self._setting)
        self._left -= len(data)
        return data


def check_length(headers: Any, limit: int, name: str, setting: str) -> None:
    """Refuse before reading a body whose ``Content-Length`` already says it is too large."""
    try:
        length = int(headers.get("content-length") or 0)
    except ValueError:
        return
    if length > limit:
        raise too_large(name, limit, setting)


def too_large(name: str, limit: int, setting: str) -> ResponseTooLarge:
    return ResponseTooLarge(f"{name}: the server's answer is larger than {limit} bytes ({setting})")


def _inflater(encoding: str, name: str) -> Any:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise ServerError(f"{name}: an answer in an encoding that was not asked for: {encoding!r}")


class SSEData:
    """The ``data`` of server-sent events, from pieces of the stream's text (the SSE line
    rules: ``\\r\\n``, ``\\r`` or ``\\n`` ends a line, an empty line ends an event)."""

    def __init__(self) -> None:
        self._partial: list[str] = []
        self._data: list[str] = []

    def feed(self, text: str) -> list[str]:
        if not _SSE_LINE_END.search(text):
            self._partial.append(text)  # a line still unfinished: joined once it ends
            return []
        text = "".join(self._partial) + text
        self._partial = []
        held_cr = text.endswith("\r")  # its "\n" may come with the next piece
        lines = _SSE_LINE_END.split(text[:-1] if held_cr else text)
        unfinished = lines.pop() + ("\r" if held_cr else "")
        if unfinished:
            self._partial.append(unfinished)
        return [data for line in lines if (data := self._line(line)) is not None]

    def flush(self) -> list[str]:
        lines = ["".join(self._partial).rstrip("\r"), ""]
        self._partial = []
        return [data for line in lines if (data := self._line(line)) is not None]

    def _line(self, line: str) -> str | None:
        if not line:
            data, self._data = self._data, []
            return "\n".join(data) if data else None
        field, _, value = line.partition(":")
        if field == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)
        return None
