"""One session with one MCP server, opened once and kept until closed.

The SDK is async; autan's tools may be called from threads (the sync driver) or from an event
loop (the async one). A connection therefore runs its session on an event loop of its own, in a
daemon thread, and every call is submitted to that loop: the same path for both drivers, and a
server that hangs or dies never blocks the caller past ``call_timeout`` (after the calls ahead
of it, below).

One call at a time per connection: a server may ask the client something during a call
(sampling, elicitation; autan answers both, so the server may ask during any call), and the
SDK does not say which call a request came from (its ``ClientRequestContext`` holds the session,
the request's id and ``_meta``; the related request id is the server's side only). With one
call in flight, that call owns every request, so each sample is journaled, budgeted and
answered again on resume for the call that caused it, and a question pauses the call that
asked. Journaling such requests as unattributed when calls overlap would lose exactly that;
serializing loses only the overlap of one server's calls (another server's still overlap).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import tempfile
import threading
import weakref
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, TextIO, cast

from autan.errors import MCPServerError
from autan.mcp._servers import MCPServer
from autan.mcp._transport import open_transport
from autan.tools._server_requests import CallRequests

ServerRequestHandler = Callable[[str, CallRequests | None, Any], Awaitable[Any]]
"""Answers a server's request: given the server's name, the ``CallRequests`` of the call the
request belongs to (``None`` outside a call), and the request's parameters."""
_OPEN: weakref.WeakSet[Connection] = weakref.WeakSet()
IDEMPOTENCY_KEY = "io.autan/idempotency-key"
"""The ``_meta`` entry of each call that holds its idempotency key, stable across a resume: a
server with side effects can apply each key once."""
_CLOSE_SECONDS = 6.0  # the SDK gives a stdio server 2 s to exit, then 2 s after SIGTERM


class CallFailed(RuntimeError):
    """A call that got no result: the server died, timed out, or refused the request."""


class Connection:
    """An initialized session with ``server`` and the tools it listed (``open``)."""

    def __init__(
        self,
        server: MCPServer,
        connect_timeout: float = 30.0,
        call_timeout: float = 60.0,
        sampling: ServerRequestHandler | None = None,
        elicitation: ServerRequestHandler | None = None,
    ) -> None:
        self.server = server
        self.connect_timeout = connect_timeout
        self.call_timeout = call_timeout
        self._sampling = sampling
        self._elicitation = elicitation
        # the server's stderr, kept for the one line that explains a failure; closed in close()
        self._errlog = cast(
            TextIO,
            tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"),  # noqa: SIM115
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"autan-mcp-{server.name}", daemon=True
        )
        self._closing = asyncio.Event()
        self._session: Any = None
        self._served: concurrent.futures.Future[None] | None = None
        self._stream_problem: str | None = None
        self._turn = asyncio.Lock()
        """Held by the one call in flight."""
        self._calling: CallRequests | None = None
        """The ``CallRequests`` of the call in flight, which owns the server's requests."""
        self.closed = False

    def open(self) -> list[Any]:
        """Start (or reach) the server, initialize, and list its tools; ``MCPServerError``
        when that fails or takes longer than ``connect_timeout``."""
        ready: concurrent.futures.Future[list[Any]] = concurrent.futures.Future()
        self._thread.start()
        _OPEN.add(self)
        self._served = asyncio.run_coroutine_threadsafe(self._serve(ready), self._loop)
        try:
            return ready.result(timeout=self.connect_timeout + 5)
        except BaseException as error:
            failure = self._open_failure(error)
            self.close()
            raise failure from None

    def call(
        self,
        name: str,
        arguments: dict[str, Any],
        key: str | None = None,
        requests: CallRequests | None = None,
    ) -> Any:
        """The server's ``CallToolResult``; ``CallFailed`` when there is none. ``key`` (the
        call's idempotency key) travels in the request's ``_meta`` as ``IDEMPOTENCY_KEY``;
        ``requests`` is what the server's sampling and elicitation during the call may use."""
        if self.closed or self._session is None:
            raise CallFailed(f"the connection to MCP server {self.server.name!r} is closed")
        sent = threading.Event()
        call = self._call(name, arguments, key, requests, sent)
        future = asyncio.run_coroutine_threadsafe(call, self._loop)
        try:
            self._wait_turn(future, sent)
            return future.result(timeout=self.call_timeout + 5)
        except (TimeoutError, concurrent.futures.TimeoutError):
            future.cancel()
            raise CallFailed(self._timed_out()) from None
        except CallFailed:
            raise
        except Exception as error:
            raise CallFailed(self._failed(error)) from None

    def _wait_turn(self, future: concurrent.futures.Future[Any], sent: threading.Event) -> None:
        """Until the call is sent: the calls ahead of it are each bounded by their own
        timeout, so the wait is not this call's."""
        while not sent.wait(timeout=0.5) and not future.done():
            if not self._thread.is_alive():
                raise CallFailed(self._ended())

    def close(self) -> None:
        """End the session (a stdio server is asked to exit, then stopped); idempotent."""
        if self.closed:
            return
        self.closed = True
        _OPEN.discard(self)
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._closing.set)
            if self._served is not None:
                try:
                    self._served.result(timeout=_CLOSE_SECONDS)
                except BaseException:  # the server's own failure was reported already
                    self._served.cancel()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=2)
        self._errlog.close()

    async def _serve(self, ready: concurrent.futures.Future[list[Any]]) -> None:
        try:
            async with AsyncExitStack() as stack:
                self._session = await self._start(stack, ready)
                await self._closing.wait()
        except BaseException as error:
            if not ready.done():
                ready.set_exception(error)
        finally:
            self._session = None

    async def _start(
        self, stack: AsyncExitStack, ready: concurrent.futures.Future[list[Any]]
    ) -> Any:
        from mcp import ClientSession

        read, write = await stack.enter_async_context(open_transport(self.server, self._errlog))
        session = ClientSession(
            read,
            write,
            # the session's default bounds initialize and tools/list; each call has its own
            read_timeout_seconds=self.connect_timeout,
            sampling_callback=cast(Any, self._answer(self._sampling)),
            elicitation_callback=cast(Any, self._answer(self._elicitation)),
            message_handler=self._on_message,
        )
        await stack.enter_async_context(session)
        async with asyncio.timeout(self.connect_timeout):
            await session.initialize()
            tools = await _all_tools(session)
        ready.set_result(tools)
        return session

    async def _call(
        self,
        name: str,
        arguments: dict[str, Any],
        key: str | None,
        requests: CallRequests | None,
        sent: threading.Event,
    ) -> Any:
        async with self._turn:
            sent.set()
            session = self._session
            if session is None:
                raise CallFailed(self._ended())
            meta = {IDEMPOTENCY_KEY: key} if key else None
            self._calling = requests
            try:
                return await session.call_tool(
                    name, arguments, read_timeout_seconds=self.call_timeout, meta=meta
                )
            finally:
                self._calling = None

    def _answer(self, handler: ServerRequestHandler | None) -> Any:
        """``handler`` as the SDK's callback, given the call the request belongs to: the one
        in flight (calls are made one at a time, the module's docstring says why)."""
        if handler is None:
            return None

        async def answer(context: Any, params: Any) -> Any:
            return await handler(self.server.name, self._calling, params)

        return answer

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            self._stream_problem = _one_line(str(message).splitlines()[0] if str(message) else "")

    def _open_failure(self, error: BaseException) -> MCPServerError:
        leaf = _leaf(error)
        name = self.server.name
        if isinstance(leaf, FileNotFoundError | PermissionError) and self.server.command:
            why = leaf.strerror or type(leaf).__name__
            return MCPServerError(
                f"MCP server {name!r}: cannot run {self.server.command[0]!r}: {why}"
            )
        if isinstance(leaf, TimeoutError | concurrent.futures.TimeoutError):
            return MCPServerError(
                f"MCP server {name!r} did not answer initialize within "
                f"{self.connect_timeout:g} s{self._clues()}"
            )
        return MCPServerError(
            f"MCP server {name!r} failed to start: {_describe(leaf)}{self._clues()}"
        )

    def _timed_out(self) -> str:
        """What a hung call says: the server's own last words are often why (mcp-server-fetch's
        readable mode runs ``npm install`` on first use, which waits on a network it lacks)."""
        waited = f"did not answer within {self.call_timeout:g} s"
        return f"MCP server {self.server.name!r} {waited}{self._clues()}"

    def _failed(self, error: BaseException) -> str:
        why = _describe(_leaf(error))
        if self._session is None or why == "Connection closed":
            return self._ended()
        if "timed out" in why:
            return self._timed_out()
        return f"MCP server {self.server.name!r}: {why}"

    def _ended(self) -> str:
        return f"MCP server {self.server.name!r} is no longer running{self._clues()}"

    def _clues(self) -> str:
        """What the server told us on the side: an unreadable line on stdout, its last stderr."""
        parts = []
        if self._stream_problem:
            parts.append(f"invalid JSON-RPC on its stdout: {self._stream_problem[:80]}")
        last = _last_line(self._errlog)
        if last:
            parts.append(f"its stderr: {last[:200]}")
        return f" ({'; '.join(parts)})" if parts else ""


async def _all_tools(session: Any) -> list[Any]:
    from mcp.types import PaginatedRequestParams

    tools: list[Any] = []
    cursor: str | None = None
    for _ in range(100):  # a server whose pages never end cannot hang the connection
        params = PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


def _leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _describe(error: BaseException) -> str:
    text = _one_line(str(error))
    return text if text else type(error).__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _last_line(log: Any) -> str:
    try:
        log.flush()
        log.seek(0, 2)
        size = log.tell()
        log.seek(max(0, size - 4000))
        lines = [line.strip() for line in log.read().splitlines() if line.strip()]
    except (OSError, ValueError):
        return ""
    return lines[-1] if lines else ""


@atexit.register
def _close_all() -> None:
    for connection in list(_OPEN):
        connection.close()
