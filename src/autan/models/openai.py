"""OpenAI-compatible chat-completions backend (llama.cpp server, Ollama, vLLM, LM Studio,
Mistral, DeepSeek). Connection reuse, timeouts, retries with backoff on connection errors, 429
and 5xx (honouring ``Retry-After``), none on other 4xx; SSE streaming. Requests go over httpx's
async client (sync calls run it on ``_loop_thread``), except sync plain-``http`` requests
without a proxy, which take the lighter ``_plain_http``. Every
request has a deadline (``request_timeout``, or the time left of the run, the nearer) and every
answer a size bound after decompression (``_bounds``)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from autan.errors import ModelConnectionError, ModelError, ServerError
from autan.messages import ModelRequest, ModelResponse
from autan.models import _chat_wire as wire
from autan.models._bounds import Deadline
from autan.models._http_errors import RetryableStatus, error_for, redact
from autan.models.base import Model
from autan.models.context import CONTEXT_WINDOWS, check_fits, window_from_models_listing
from autan.models.providers import Provider, ResponseFormatStyle
from autan.models.reasoning import ReasoningPolicy, policy_for
from autan.models.retry_policy import RetryPolicy
from autan.models.usage_estimate import with_estimated_usage
from autan.pricing import Price
from autan.protocols import ToolProtocol, ToolProtocolName, for_request, named


class OpenAIChatModel(Model):
    """One model on one chat-completions server. The API key is never shown or logged."""

    def __init__(
        self,
        provider: Provider,
        model: str,
        base_url: str,
        api_key: str | None = None,
        tool_protocol: ToolProtocolName | Literal["auto"] = "native",
        reasoning: ReasoningPolicy | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        context_window: int | None = None,
        price: Price | None = None,
        request_timeout: float | None = 600.0,
        max_response_bytes: int = 16 * 2**20,
        max_stream_bytes: int = 64 * 2**20,
        answer_tool: bool | None = None,
    ) -> None:
        """``request_timeout``: the most seconds one request may take, from the first attempt
        to the last byte of the answer (``None``: no bound of its own; the run's wall-clock
        limit still bounds it). ``max_response_bytes``: the largest answer read whole, after
        decompression; ``max_stream_bytes``: the most an event stream may send in all.
        ``answer_tool``: with native tool calling, a typed answer is a call to a final tool
        (for servers without JSON-schema output) instead of ``response_format``; ``None``: as
        the provider says, and switched on when the server refuses ``response_format``."""
        self.provider = provider
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.name = f"{provider.name}:{model}"
        self._protocol: ToolProtocol | None = (
            None if tool_protocol == "auto" else named(tool_protocol)
        )
        self.reasoning = policy_for(provider.name, reasoning)
        self.retry = retry or RetryPolicy()
        self.price = price
        self._api_key = api_key
        self._timeouts = (connect_timeout, read_timeout)
        self.request_timeout = request_timeout
        self.max_response_bytes = max_response_bytes
        self.max_stream_bytes = max_stream_bytes
        self._async_client: tuple[Any, Any] | None = None
        self._thread_client: tuple[Any, Any] | None = None
        self._plain_client: Any = None
        self._plain_looked_up = False
        self._format_style: ResponseFormatStyle = provider.response_format
        self._answer_tool = provider.answer_tool if answer_tool is None else answer_tool
        self._window = context_window or CONTEXT_WINDOWS.get(self.name)
        self._window_looked_up = self._window is not None

    def __repr__(self) -> str:
        return f"OpenAIChatModel({self.name!r}, base_url={self.base_url!r})"

    @property
    def protocol(self) -> ToolProtocol:
        """The protocol tools are called by; ``auto`` is resolved by probing the server once
        (cached)."""
        if self._protocol is None:
            from autan.models.probe import choose_protocol

            self._protocol = named(choose_protocol(self))
        return self._protocol

    @property
    def tool_protocol(self) -> str:
        """The name of ``protocol``."""
        return self.protocol.name

    def complete_with(self, request: ModelRequest, protocol: ToolProtocol) -> ModelResponse:
        """One request with a given protocol and no retries: for probing a server."""
        once = RetryPolicy(attempts=1)
        deadline = self._deadline(request)

        def send() -> dict[str, Any]:
            body = self._payload(request, False, protocol)
            return once.call(lambda: self._post(body, deadline), self._retryable)

        try:
            data = send()
        except ModelError as error:
            if not self._switch_response_format(error, protocol):
                raise
            data = send()
        return wire.parse(data, protocol, request.step, request)

    def complete(self, request: ModelRequest) -> ModelResponse:
        started = time.perf_counter()
        try:
            data = self._send(request)
        except ModelError as error:
            if not self._switch_response_format(error):
                raise
            data = self._send(request)
        response = wire.parse(data, self._protocol_of(request), request.step, request)
        return self._timed(response, started, request)

    async def acomplete(self, request: ModelRequest) -> ModelResponse:
        started = time.perf_counter()
        try:
            data = await self._asend(request)
        except ModelError as error:
            if not self._switch_response_format(error):
                raise
            data = await self._asend(request)
        response = wire.parse(data, self._protocol_of(request), request.step, request)
        return self._timed(response, started, request)

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        started = time.perf_counter()
        protocol = self._protocol_of(request)
        assembler = wire.StreamAssembler(protocol, request.step, request)
        try:
            pieces = self._send_streaming(request)
        except ModelError as error:
            if not self._switch_response_format(error):
                raise
            pieces = self._send_streaming(request)
        for chunk in pieces:
            text, _ = assembler.feed(chunk)
            if text and protocol.streams_readable_text:
                yield text
        yield self._timed(assembler.response(), started, request)

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | ModelResponse]:
        started = time.perf_counter()
        protocol = self._protocol_of(request)
        assembler = wire.StreamAssembler(protocol, request.step, request)
        try:
            pieces = await self._asend_streaming(request)
        except ModelError as error:
            if not self._switch_response_format(error):
                raise
            pieces = await self._asend_streaming(request)
        async for chunk in pieces:
            text, _ = assembler.feed(chunk)
            if text and protocol.streams_readable_text:
                yield text
        yield self._timed(assembler.response(), started, request)

    def render_prompt(self, request: ModelRequest) -> str:
        """The body ``complete`` sends (an ``auto`` protocol may probe the server first)."""
        return json.dumps(self._payload(request, stream=False), ensure_ascii=False, indent=2)

    def _send(self, request: ModelRequest) -> dict[str, Any]:
        deadline = self._deadline(request)
        body = self._checked_payload(request, False, deadline)
        retryable = _retryable_before(deadline)
        return self.retry.call(lambda: self._post(body, deadline), retryable, deadline.left)

    async def _asend(self, request: ModelRequest) -> dict[str, Any]:
        deadline = self._deadline(request)
        body = self._checked_payload(request, False, deadline)
        return await self.retry.acall(
            lambda: self._apost(body, deadline), _retryable_before(deadline), deadline.left
        )

    def _send_streaming(self, request: ModelRequest) -> Iterator[dict[str, Any]]:
        deadline = self._deadline(request)
        body = self._checked_payload(request, True, deadline)
        return self.retry.call(
            lambda: self._open_stream(body, deadline), _retryable_before(deadline), deadline.left
        )

    async def _asend_streaming(self, request: ModelRequest) -> AsyncIterator[dict[str, Any]]:
        deadline = self._deadline(request)
        body = self._checked_payload(request, True, deadline)
        return await self.retry.acall(
            lambda: self._aopen_stream(body, deadline), _retryable_before(deadline), deadline.left
        )

    def _deadline(self, request: ModelRequest) -> Deadline:
        """The request's own bound, or the time left of the run, whichever is nearer."""
        return Deadline(self.request_timeout, request.timeout_seconds)

    def _checked_payload(
        self, request: ModelRequest, stream: bool, deadline: Deadline
    ) -> dict[str, Any]:
        body = self._payload(request, stream)
        check_fits(request, body, self._window_within(deadline), self.name)
        return body

    def context_window(self) -> int | None:
        """The window: given, else from the table, else from the server's model listing."""
        return self._window_within(Deadline(self.request_timeout))

    def _window_within(self, deadline: Deadline) -> int | None:
        if not self._window_looked_up:
            self._window_looked_up = True
            self._window = self._window_from_server(deadline)
        return self._window

    def _window_from_server(self, deadline: Deadline) -> int | None:
        try:
            listing = self._exchange("GET", "/models", None, deadline)[1]
            return window_from_models_listing(json.loads(listing), self.model)
        except (ModelError, ValueError, RecursionError):  # unreachable, too slow, too large
            return None

    def _protocol_of(self, request: ModelRequest) -> ToolProtocol:
        protocol = for_request(self.protocol, request)
        return protocol.with_answer_tool() if self._answer_tool else protocol

    def _switch_response_format(
        self, error: ModelError, protocol: ToolProtocol | None = None
    ) -> bool:
        """Servers that reject OpenAI's ``json_schema`` response format: with a prompted
        protocol, switch to llama-cpp-python's ``{"type": "json_object", "schema": …}``; with
        native tool calling, to the answer tool (a typed answer as a final call). Once, and
        remembered."""
        message = str(error)
        if "response_format" not in message:
            return False
        if not (protocol or self.protocol).prompted:
            switch = not self._answer_tool
            self._answer_tool = True
            return switch
        if self._format_style != "json_schema" or "json_object" not in message:
            return False
        self._format_style = "json_object_schema"
        return True

    def _timed(
        self, response: ModelResponse, started: float, request: ModelRequest
    ) -> ModelResponse:
        from dataclasses import replace

        if not response.usage.total_tokens:  # the server reported none
            response = with_estimated_usage(response, self._payload(request, stream=False))
        cost = self.price.cost(response.usage) if self.price else 0.0
        seconds = time.perf_counter() - started
        return replace(response, seconds=seconds, model=response.model or self.name, cost_usd=cost)

    def _payload(
        self, request: ModelRequest, stream: bool, protocol: ToolProtocol | None = None
    ) -> dict[str, Any]:
        return wire.payload(
            request,
            self.model,
            self.provider,
            protocol or self._protocol_of(request),
            self.reasoning,
            stream,
            self._format_style,
        )

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _httpx_headers(self) -> dict[str, str]:
        """Only the encodings ``_bounds`` inflates (httpx would ask for more, if installed)."""
        return {**self._headers(), "Accept-Encoding": "gzip, deflate"}

    def _ahttp(self) -> Any:
        """The async client of the running loop: one for the loop thread of sync calls
        (``_loop_thread``), one for the caller's loop; each made again for a new loop."""
        import asyncio

        from autan.models._loop_thread import on_own_loop

        slot = "_thread_client" if on_own_loop() else "_async_client"
        loop = asyncio.get_running_loop()
        made = getattr(self, slot)
        if made is None or made[0] is not loop:
            import httpx

            client = httpx.AsyncClient(timeout=self._timeout(), headers=self._httpx_headers())
            setattr(self, slot, made := (loop, client))
        return made[1]

    def _plain(self) -> Any:
        """The ``PlainHTTP`` client when this server can use one, else None (decided once)."""
        if not self._plain_looked_up:
            self._plain_looked_up = True
            from autan.models._plain_http import PlainHTTP, plain_http_applies

            if plain_http_applies(self.base_url):
                connect, read = self._timeouts
                self._plain_client = PlainHTTP(
                    self.base_url,
                    self._headers(),
                    connect,
                    read,
                    self.max_response_bytes,
                    self.name,
                )
        return self._plain_client

    def _timeout(self, deadline: Deadline | None = None) -> Any:
        """The client's timeouts; with a deadline, none longer than the time left."""
        import httpx

        connect, read = self._timeouts
        if deadline is not None:
            connect, read = deadline.timeout(connect), deadline.timeout(read)
        return httpx.Timeout(read, connect=connect)

    def _post(self, body: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        status, text, headers = self._exchange("POST", "/chat/completions", body, deadline)
        return self._json(status, text, headers)

    def _exchange(
        self, method: str, path: str, body: dict[str, Any] | None, deadline: Deadline
    ) -> tuple[int, str, Any]:
        """One request: status, text and headers; a failed connection is a typed error."""
        plain = self._plain()
        if plain is None:
            return self._exchange_httpx(method, path, body, deadline)
        import http.client

        deadline.check(self.name)  # an attempt after a wait, or after the window's lookup
        data = None if body is None else wire.json_bytes(body)
        try:
            answer = plain.request(method, path, data, deadline)
        except (OSError, http.client.HTTPException) as error:
            raise self._connection_error(error, deadline) from None
        return answer.status, answer.text, answer.headers

    def _exchange_httpx(
        self, method: str, path: str, body: dict[str, Any] | None, deadline: Deadline
    ) -> tuple[int, str, Any]:
        from autan.models._loop_thread import run_there

        return run_there(self._aexchange_httpx(method, path, body, deadline))

    async def _aexchange_httpx(
        self, method: str, path: str, body: dict[str, Any] | None, deadline: Deadline
    ) -> tuple[int, str, Any]:
        import httpx

        from autan.models._bounded_read import aread_and_close, text_of

        try:
            response = await self._asend_httpx(method, path, body, deadline)
            content = await aread_and_close(response, self.max_response_bytes, self.name, deadline)
        except httpx.TransportError as error:
            raise self._connection_error(error, deadline) from None
        return response.status_code, text_of(content), response.headers

    async def _apost(self, body: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        return self._json(*await self._aexchange_httpx("POST", "/chat/completions", body, deadline))

    async def _asend_httpx(
        self, method: str, path: str, body: dict[str, Any] | None, deadline: Deadline
    ) -> Any:
        """Send, and return the response once its headers are in; its body is read after."""
        from autan.models._bounded_read import within

        deadline.check(self.name)  # an attempt after a wait, or after the window's lookup
        client = self._ahttp()
        url = f"{self.base_url}{path}"
        request = client.build_request(method, url, json=body, timeout=self._timeout(deadline))
        return await within(deadline, self.name, client.send(request, stream=True))

    def _open_stream(self, body: dict[str, Any], deadline: Deadline) -> Iterator[dict[str, Any]]:
        """``_aopen_stream`` on the loop thread: its chunks, each read there."""
        from autan.models._loop_thread import iterate_there, run_there

        return iterate_there(run_there(self._aopen_stream(body, deadline)))

    async def _aopen_stream(
        self, body: dict[str, Any], deadline: Deadline
    ) -> AsyncIterator[dict[str, Any]]:
        """``_open_stream``, async."""
        import httpx

        from autan.models._bounded_read import aread_and_close, is_event_stream, text_of

        try:
            response = await self._asend_httpx("POST", "/chat/completions", body, deadline)
            if not is_event_stream(response):
                limit = self.max_response_bytes
                content = await aread_and_close(response, limit, self.name, deadline)
                completion = self._json(response.status_code, text_of(content), response.headers)
                return _one(wire.as_chunk(completion))
        except httpx.TransportError as error:
            raise self._connection_error(error, deadline) from None
        return self._achunks(response, deadline)

    async def _achunks(self, response: Any, deadline: Deadline) -> AsyncIterator[dict[str, Any]]:
        from autan.models._bounded_read import achunks

        chunks = achunks(response, self.max_stream_bytes, self.name, deadline)
        try:
            with self._stream_errors(deadline):
                async for chunk in chunks:
                    yield chunk
        finally:
            await chunks.aclose()

    @contextmanager
    def _stream_errors(self, deadline: Deadline) -> Iterator[None]:
        """A broken connection during the event stream, as autan's typed errors."""
        import httpx

        try:
            yield
        except httpx.TransportError as error:
            raise self._connection_error(error, deadline) from None

    def _json(self, status: int, text: str, headers: Any) -> dict[str, Any]:
        error = error_for(status, text, headers, self._api_key, f"{self.name} at {self.base_url}")
        if error is not None:
            raise error
        data = _json_or_none(text)
        if not isinstance(data, dict):
            raise ServerError(f"{self.name}: the server answered something that is not JSON")
        return data

    def _connection_error(self, error: Exception, deadline: Deadline) -> ModelError:
        """A failed exchange; one that failed because its deadline passed is ``ModelTimeout``
        (a read cut short by the time left)."""
        if deadline.passed():
            return deadline.error(self.name)
        from autan.models._connection_words import connection_message

        text = connection_message(self.name, self.base_url, error)
        return ModelConnectionError(redact(text, self._api_key))

    @staticmethod
    def _retryable(error: BaseException) -> bool:
        return isinstance(error, (RetryableStatus, ModelConnectionError))


def _retryable_before(deadline: Deadline) -> Any:
    """Retry what ``_retryable`` says, while the deadline has not passed."""
    return lambda error: OpenAIChatModel._retryable(error) and not deadline.passed()


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


async def _one(chunk: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield chunk


__all__ = ["ModelError", "OpenAIChatModel"]
