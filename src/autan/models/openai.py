"""OpenAI-compatible chat-completions backend (llama.cpp server, Ollama, vLLM, LM Studio,
Mistral, DeepSeek). Connection reuse, timeouts, retries with backoff on connection errors, 429
and 5xx (honouring ``Retry-After``), none on other 4xx; SSE streaming. Requests go over httpx,
except plain-``http`` requests without a proxy, which take the lighter ``_plain_http``."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from autan.errors import ModelConnectionError, ModelError, ServerError
from autan.messages import ModelRequest, ModelResponse
from autan.models import _chat_wire as wire
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
    ) -> None:
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
        self._client: Any = None
        self._async_client: Any = None
        self._plain_client: Any = None
        self._plain_looked_up = False
        self._format_style: ResponseFormatStyle = provider.response_format
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

        def send() -> dict[str, Any]:
            body = self._payload(request, False, protocol)
            return once.call(lambda: self._post(body), self._retryable)

        try:
            data = send()
        except ModelError as error:
            if not self._switch_response_format(error, protocol):
                raise
            data = send()
        return wire.parse(data, protocol, request.step)

    def complete(self, request: ModelRequest) -> ModelResponse:
        started = time.perf_counter()
        try:
            data = self._send(request)
        except ModelError as error:
            if not self._switch_response_format(error):
                raise
            data = self._send(request)
        response = wire.parse(data, self._protocol_of(request), request.step)
        return self._timed(response, started, request)

    async def acomplete(self, request: ModelRequest) -> ModelResponse:
        started = time.perf_counter()
        try:
            data = await self._asend(request)
        except ModelError as error:
            if not self._switch_response_format(error):
                raise
            data = await self._asend(request)
        response = wire.parse(data, self._protocol_of(request), request.step)
        return self._timed(response, started, request)

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        started = time.perf_counter()
        protocol = self._protocol_of(request)
        assembler = wire.StreamAssembler(protocol, request.step)
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
        assembler = wire.StreamAssembler(protocol, request.step)
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

    def _send(self, request: ModelRequest) -> dict[str, Any]:
        body = self._checked_payload(request, stream=False)
        return self.retry.call(lambda: self._post(body), self._retryable)

    async def _asend(self, request: ModelRequest) -> dict[str, Any]:
        body = self._checked_payload(request, stream=False)
        return await self.retry.acall(lambda: self._apost(body), self._retryable)

    def _send_streaming(self, request: ModelRequest) -> Iterator[dict[str, Any]]:
        body = self._checked_payload(request, stream=True)
        return self.retry.call(lambda: self._open_stream(body), self._retryable)

    async def _asend_streaming(self, request: ModelRequest) -> AsyncIterator[dict[str, Any]]:
        body = self._checked_payload(request, stream=True)
        return await self.retry.acall(lambda: self._aopen_stream(body), self._retryable)

    def _checked_payload(self, request: ModelRequest, stream: bool) -> dict[str, Any]:
        body = self._payload(request, stream)
        check_fits(request, body, self.context_window(), self.name)
        return body

    def context_window(self) -> int | None:
        """The window: given, else from the table, else from the server's model listing."""
        if not self._window_looked_up:
            self._window_looked_up = True
            self._window = self._window_from_server()
        return self._window

    def _window_from_server(self) -> int | None:
        try:
            return window_from_models_listing(json.loads(self._get_text("/models")), self.model)
        except (ModelConnectionError, ValueError, RecursionError):
            return None

    def _protocol_of(self, request: ModelRequest) -> ToolProtocol:
        return for_request(self.protocol, request)

    def _switch_response_format(
        self, error: ModelError, protocol: ToolProtocol | None = None
    ) -> bool:
        """Servers that reject OpenAI's ``json_schema`` response format (llama-cpp-python's
        takes ``{"type": "json_object", "schema": …}``): switch once, and remember."""
        rejected = "response_format" in str(error) and "json_object" in str(error)
        if not (protocol or self.protocol).prompted or self._format_style != "json_schema":
            return False
        if rejected:
            self._format_style = "json_object_schema"
        return rejected

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

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.Client(timeout=self._timeout(), headers=self._headers())
        return self._client

    def _ahttp(self) -> Any:
        if self._async_client is None:
            import httpx

            self._async_client = httpx.AsyncClient(timeout=self._timeout(), headers=self._headers())
        return self._async_client

    def _plain(self) -> Any:
        """The ``PlainHTTP`` client when this server can use one, else None (decided once)."""
        if not self._plain_looked_up:
            self._plain_looked_up = True
            from autan.models._plain_http import PlainHTTP, plain_http_applies

            if plain_http_applies(self.base_url):
                connect, read = self._timeouts
                self._plain_client = PlainHTTP(self.base_url, self._headers(), connect, read)
        return self._plain_client

    def _timeout(self) -> Any:
        import httpx

        connect, read = self._timeouts
        return httpx.Timeout(read, connect=connect)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        status, text, headers = self._exchange("POST", "/chat/completions", body)
        return self._json(status, text, headers)

    def _get_text(self, path: str) -> str:
        return self._exchange("GET", path, None)[1]

    def _exchange(
        self, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, str, Any]:
        """One request: status, text and headers; a failed connection is a typed error."""
        plain = self._plain()
        if plain is None:
            return self._exchange_httpx(method, path, body)
        import http.client

        data = None if body is None else _json_bytes(body)
        try:
            answer = plain.request(method, path, data)
        except (OSError, http.client.HTTPException) as error:
            raise self._connection_error(error) from None
        return answer.status, answer.text, answer.headers

    def _exchange_httpx(
        self, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, str, Any]:
        import httpx

        try:
            response = self._http().request(method, f"{self.base_url}{path}", json=body)
        except httpx.TransportError as error:
            raise self._connection_error(error) from None
        return response.status_code, response.text, response.headers

    async def _apost(self, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        try:
            response = await self._ahttp().post(f"{self.base_url}/chat/completions", json=body)
        except httpx.TransportError as error:
            raise self._connection_error(error) from None
        return self._json(response.status_code, response.text, response.headers)

    def _open_stream(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Open the SSE stream (retried as a whole until the first byte) and return its chunks."""
        import httpx

        client = self._http()
        request = client.build_request("POST", f"{self.base_url}/chat/completions", json=body)
        try:
            response = client.send(request, stream=True)
        except httpx.TransportError as error:
            raise self._connection_error(error) from None
        if response.status_code >= 400 or "event-stream" not in response.headers.get(
            "content-type", ""
        ):
            text = response.read().decode("utf-8", errors="replace")
            response.close()
            return iter([_as_chunk(self._json(response.status_code, text, response.headers))])
        return self._chunks(response)

    async def _aopen_stream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """``_open_stream``, async."""
        import httpx

        client = self._ahttp()
        request = client.build_request("POST", f"{self.base_url}/chat/completions", json=body)
        try:
            response = await client.send(request, stream=True)
        except httpx.TransportError as error:
            raise self._connection_error(error) from None
        if response.status_code >= 400 or "event-stream" not in response.headers.get(
            "content-type", ""
        ):
            text = (await response.aread()).decode("utf-8", errors="replace")
            await response.aclose()
            return _one(_as_chunk(self._json(response.status_code, text, response.headers)))
        return self._achunks(response)

    async def _achunks(self, response: Any) -> AsyncIterator[dict[str, Any]]:
        from httpx_sse import EventSource

        try:
            with self._stream_errors():
                async for event in EventSource(response).aiter_sse():
                    if _is_end(event.data):
                        break
                    if (chunk := _json_or_none(event.data)) is not None:
                        yield chunk
        finally:
            await response.aclose()

    def _chunks(self, response: Any) -> Iterator[dict[str, Any]]:
        from httpx_sse import EventSource

        try:
            with self._stream_errors():
                for event in EventSource(response).iter_sse():
                    if _is_end(event.data):
                        break
                    if (chunk := _json_or_none(event.data)) is not None:
                        yield chunk
        finally:
            response.close()

    @contextmanager
    def _stream_errors(self) -> Iterator[None]:
        """A broken event stream or connection, as autan's typed errors."""
        import httpx
        from httpx_sse import SSEError

        try:
            yield
        except SSEError as error:
            raise ServerError(f"{self.name}: broken event stream: {error}") from None
        except httpx.TransportError as error:
            raise self._connection_error(error) from None

    def _json(self, status: int, text: str, headers: Any) -> dict[str, Any]:
        error = error_for(status, text, headers, self._api_key)
        if error is not None:
            raise error
        data = _json_or_none(text)
        if not isinstance(data, dict):
            raise ServerError(f"{self.name}: the server answered something that is not JSON")
        return data

    def _connection_error(self, error: Exception) -> ModelConnectionError:
        kind = type(error).__name__
        return ModelConnectionError(
            redact(f"{self.name} at {self.base_url}: {kind}", self._api_key)
        )

    @staticmethod
    def _retryable(error: BaseException) -> bool:
        return isinstance(error, (RetryableStatus, ModelConnectionError))


def _json_bytes(body: dict[str, Any]) -> bytes:
    """A request body encoded as httpx encodes ``json=``."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _is_end(data: str) -> bool:
    """The OpenAI stream's last event."""
    return data.strip() == "[DONE]"


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


async def _one(chunk: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield chunk


def _as_chunk(completion: dict[str, Any]) -> dict[str, Any]:
    """A whole completion (from a server that ignored ``stream``) as one stream chunk."""
    choices = [
        {"delta": choice.get("message") or {}, "finish_reason": choice.get("finish_reason")}
        for choice in completion.get("choices") or []
    ]
    return {**completion, "choices": choices}


__all__ = ["ModelError", "OpenAIChatModel"]
