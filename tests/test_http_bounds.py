"""A model server cannot hold a run: the run's wall-clock limit bounds a request in flight, the
backend's own deadline bounds each request, and answers are bounded in size after
decompression, on every path (plain ``http.client``; httpx sync and async, whole and streamed).
Servers on loopback (``fake_chat_server``) trickle, stream forever, or send too much."""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import socket
import time
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from autan import (
    Agent,
    LimitExceeded,
    Limits,
    ModelError,
    ModelTimeout,
    ResponseTooLarge,
    RunFailed,
)
from autan.messages import Message, ModelRequest, ModelResponse
from autan.models._bounds import BoundedBody, Deadline, SSEData
from autan.models._watchdog import cut_off_at
from autan.models.base import Model
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS
from autan.models.retry_policy import RetryPolicy
from fake_chat_server import FakeChatServer, Reply, completion

FAST = RetryPolicy(attempts=3, base_seconds=0.001, max_seconds=0.01)
MIB = 2**20
GENEROUS = 15.0
"""Seconds a bounded failure may take on a loaded machine; unbounded, each case takes far
longer (the fake server trickles for a minute)."""

CHUNK = json.dumps({"choices": [{"index": 0, "delta": {"content": "la "}, "finish_reason": None}]})


def model(url: str, **options: Any) -> OpenAIChatModel:
    return OpenAIChatModel(PROVIDERS["openai"], "m", url, retry=FAST, **options)


def ask() -> ModelRequest:
    return ModelRequest((Message("system", "s"), Message("user", "hi")))


def https_only(url: str, **options: Any) -> OpenAIChatModel:
    """A model whose sync requests go through httpx (as with TLS or a proxy), not plain."""
    chat = model(url, **options)
    chat._plain_looked_up = True
    return chat


async def collect(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]


def run_sync(agent: Agent) -> None:
    agent.run("hi")


def run_async(agent: Agent) -> None:
    asyncio.run(agent.arun("hi"))


def stream_sync(agent: Agent) -> None:
    _raise_failure(list(agent.stream("hi")))


def stream_async(agent: Agent) -> None:
    _raise_failure(asyncio.run(collect(agent.astream("hi"))))


def _raise_failure(events: list[Any]) -> None:
    failed = [event for event in events if isinstance(event, RunFailed)]
    assert failed, "the run did not fail"
    raise AssertionError(failed[0].error)


WAYS: dict[str, Callable[[Agent], None]] = {
    "run (plain http)": run_sync,
    "arun (httpx async)": run_async,
    "stream (httpx SSE)": stream_sync,
    "astream (httpx async SSE)": stream_async,
}


def _trickling(way: str) -> Reply:
    if "stream" in way:
        return Reply(sse=[CHUNK], sse_forever=True, trickle=1.0)
    return Reply(body=completion("a long answer, one byte a second"), trickle=1.0)


@pytest.mark.parametrize("way", WAYS)
def test_the_run_wall_clock_limit_bounds_a_trickling_request(way: str) -> None:
    with FakeChatServer([_trickling(way)]) as server:
        agent = Agent(model(server.url), limits=Limits(max_wall_seconds=2))
        started = time.monotonic()
        with pytest.raises((LimitExceeded, AssertionError)) as raised:
            WAYS[way](agent)
        seconds = time.monotonic() - started
    if isinstance(raised.value, LimitExceeded):
        assert raised.value.limit == "max_wall_seconds"
    else:
        assert str(raised.value) == "LimitExceeded"
    assert seconds < GENEROUS


@pytest.mark.parametrize("way", ["stream (httpx SSE)", "astream (httpx async SSE)"])
def test_the_run_wall_clock_limit_bounds_an_endless_event_stream(way: str) -> None:
    with FakeChatServer([Reply(sse=[CHUNK], sse_forever=True)]) as server:
        agent = Agent(model(server.url), limits=Limits(max_wall_seconds=2))
        started = time.monotonic()
        with pytest.raises(AssertionError, match=r"^LimitExceeded$"):
            WAYS[way](agent)
        assert time.monotonic() - started < GENEROUS


def test_the_run_wall_clock_limit_bounds_the_context_window_lookup() -> None:
    """The first request asks ``/models`` for the window; that wait is the request's too."""
    listing = Reply(body={"data": [{"id": "m", "context_length": 8192}]}, trickle=1.0)
    with FakeChatServer([Reply(body=completion("hi"))], models=listing) as server:
        agent = Agent(model(server.url), limits=Limits(max_wall_seconds=2))
        started = time.monotonic()
        with pytest.raises(LimitExceeded):
            agent.run("hi")
        assert time.monotonic() - started < GENEROUS


def test_the_backend_s_own_deadline_is_a_model_timeout_not_retried() -> None:
    with FakeChatServer([_trickling("run")] * 3) as server:
        started = time.monotonic()
        with pytest.raises(ModelTimeout, match="within 1 s"):
            model(server.url, request_timeout=1.0).complete(ask())
        assert time.monotonic() - started < GENEROUS
        assert len(server.requests) == 1
    with FakeChatServer([Reply(delay=30)]) as server:  # nothing at all: the wait is cut short
        started = time.monotonic()
        with pytest.raises(ModelTimeout):
            asyncio.run(model(server.url, request_timeout=1.0).acomplete(ask()))
        assert time.monotonic() - started < GENEROUS


def test_a_backend_timeout_of_its_own_stays_a_model_error_in_a_run() -> None:
    """Only the run's time running out is the run's limit; the backend's is the model's."""
    with FakeChatServer([_trickling("run")]) as server:
        agent = Agent(model(server.url, request_timeout=1.0), limits=Limits(max_wall_seconds=60))
        with pytest.raises(ModelTimeout):
            agent.run("hi")


class _SlowModel(Model):
    """Takes all the time it is given, then says that its deadline passed, as backends do."""

    name = "slow"

    def complete(self, request: ModelRequest) -> ModelResponse:
        assert request.timeout_seconds is not None
        time.sleep(request.timeout_seconds)
        raise ModelTimeout("slow: no complete answer in time")


def test_a_request_out_of_the_run_s_time_ends_the_run_at_its_limit() -> None:
    with pytest.raises(LimitExceeded) as raised:
        Agent(_SlowModel(), limits=Limits(max_wall_seconds=0.5)).run("hi")
    assert raised.value.limit == "max_wall_seconds"
    failed = [e for e in raised.value.result.events if isinstance(e, RunFailed)]
    assert [e.error for e in failed] == ["LimitExceeded"]


def test_a_socket_waiting_at_its_deadline_is_shut_down() -> None:
    here, there = socket.socketpair()
    with here, there:
        here.settimeout(30)  # this test cannot hang
        started = time.monotonic()
        with cut_off_at(Deadline(0.2), here):
            assert here.recv(1) == b""  # not the 30 s timeout: the watchdog ended the wait
        assert time.monotonic() - started < GENEROUS


def test_the_loop_gives_each_request_the_time_left() -> None:
    from autan.testing import ScriptedModel

    scripted = ScriptedModel(["done"])
    Agent(scripted, limits=Limits(max_wall_seconds=30)).run("hi")
    timeout = scripted.requests[0].timeout_seconds
    assert timeout is not None
    assert 0 < timeout <= 30
    unbounded = ScriptedModel(["done"])
    Agent(unbounded).run("hi")
    assert unbounded.requests[0].timeout_seconds is None


SENDERS: dict[str, Callable[[OpenAIChatModel], object]] = {
    "plain": lambda chat: chat.complete(ask()),
    "httpx": lambda chat: chat.complete(ask()),
    "httpx async": lambda chat: asyncio.run(chat.acomplete(ask())),
}


def chat_for(path: str, url: str, **options: Any) -> OpenAIChatModel:
    return https_only(url, **options) if path == "httpx" else model(url, **options)


@pytest.mark.parametrize("path", SENDERS)
@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "until-close"])
def test_a_body_over_the_bound_is_refused(path: str, announced: bool) -> None:
    body = b'{"pad": "' + b"x" * (64 * MIB) + b'"}'
    headers = {"Content-Type": "application/json"}
    if announced:
        headers["Content-Length"] = str(len(body))
    with FakeChatServer([Reply(raw=body, headers=headers)] * 3) as server:
        chat = chat_for(path, server.url, max_response_bytes=MIB)
        with pytest.raises(ResponseTooLarge, match="larger than 1048576 bytes"):
            SENDERS[path](chat)
        assert len(server.requests) == 1  # not retried


@functools.cache
def _bomb() -> bytes:
    return gzip.compress(b"\0" * (32 * MIB), compresslevel=9)


@pytest.mark.parametrize("path", SENDERS)
def test_a_gzip_bomb_is_not_inflated_past_the_bound(path: str) -> None:
    bomb = _bomb()
    assert len(bomb) < MIB
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    with FakeChatServer([Reply(raw=bomb, headers=headers)]) as server:
        chat = chat_for(path, server.url, max_response_bytes=MIB)
        with pytest.raises(ResponseTooLarge):
            SENDERS[path](chat)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["stream", "astream"])
def test_an_event_stream_over_its_bound_is_refused(asynchronous: bool) -> None:
    with FakeChatServer([Reply(sse=[CHUNK] * 20_000)]) as server:
        chat = model(server.url, max_stream_bytes=MIB)

        def consume() -> None:
            if asynchronous:
                asyncio.run(collect(chat.astream(ask())))
            else:
                list(chat.stream(ask()))

        with pytest.raises(ResponseTooLarge, match="max_stream_bytes"):
            consume()


def test_compressed_answers_within_the_bound_are_read() -> None:
    body = json.dumps(completion("squeezed")).encode()
    cases = [("gzip", gzip.compress(body)), ("deflate", zlib.compress(body))]
    for encoding, raw in cases:
        headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
        with FakeChatServer([Reply(raw=raw, headers=headers)] * 3) as server:
            assert model(server.url).complete(ask()).text == "squeezed"
            assert https_only(server.url).complete(ask()).text == "squeezed"
            assert asyncio.run(model(server.url).acomplete(ask())).text == "squeezed"
        asked = [request.headers.get("Accept-Encoding") for request in server.requests]
        assert asked == ["identity", "gzip, deflate", "gzip, deflate"]  # only what is inflated


def test_bounded_body_inflates_no_more_than_the_bound() -> None:
    body = BoundedBody(1000, "gzip", "m", "max_response_bytes")
    with pytest.raises(ResponseTooLarge):
        body.feed(gzip.compress(b"\0" * 10_000_000))
    trailing = BoundedBody(1000, "gzip", "m", "max_response_bytes")
    trailing.feed(gzip.compress(b"{}"))
    with pytest.raises(ResponseTooLarge):  # what follows the compressed stream counts too
        trailing.feed(b"\0" * 1001)
    assert issubclass(ResponseTooLarge, ModelError)
    assert issubclass(ModelTimeout, ModelError)


def test_event_data_is_split_by_the_sse_line_rules_across_pieces() -> None:
    events = SSEData()
    pieces = ["data: a\r", "\ndata: b\r\n", "\r\n: note\n\ndata:", "x\n", "\n"]
    pieces += ['data: {"t": "\u2028"}\n\n', "data: last"]
    seen = [data for piece in pieces for data in events.feed(piece)] + events.flush()
    assert seen == ["a\nb", "x", '{"t": "\u2028"}', "last"]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_retry_wait_does_not_run_past_the_request_deadline(asynchronous: bool) -> None:
    """A server asking to retry after 30 s, with a deadline of 1 s: the wait is cut to the
    time left and the request ends as a timeout at its deadline, not 30 s later."""
    busy = Reply(429, {"error": {"message": "busy"}}, headers={"Retry-After": "30"})
    patient = RetryPolicy(attempts=3, base_seconds=0.001, max_seconds=60)
    with FakeChatServer([busy] * 3) as server:
        chat = OpenAIChatModel(
            PROVIDERS["openai"], "m", server.url, retry=patient, request_timeout=1.0
        )

        def send() -> ModelResponse:
            return asyncio.run(chat.acomplete(ask())) if asynchronous else chat.complete(ask())

        started = time.monotonic()
        with pytest.raises(ModelTimeout):
            send()
        seconds = time.monotonic() - started
    assert len(server.requests) == 1
    assert seconds < 10
