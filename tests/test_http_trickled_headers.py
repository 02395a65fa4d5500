"""A server (or a proxy) that trickles the headers of its answer, one byte at a time and
never ending them, cannot hold a request past its deadline: over TLS, through a ``CONNECT``
proxy, through a forwarding proxy, and a proxy's own trickled ``CONNECT`` answer; sync and
async, whole and streamed. Real servers on loopback (``trickle_servers``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from autan import Agent, LimitExceeded, Limits, ModelTimeout
from autan.messages import Message, ModelRequest
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS
from autan.models.retry_policy import RetryPolicy
from trickle_servers import SERVER_NAME, Proxy, TrickledHeaders, certificates

DEADLINE = 1.5
GENEROUS = 12.0
"""Seconds a bounded failure may take on a loaded machine; unbounded, each case takes as long
as the trickle (``trickle_servers.SLOW_FOR``)."""

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def _no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def _tls(stack: ExitStack, directory: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    context, ca = certificates(str(directory))
    monkeypatch.setenv("SSL_CERT_FILE", ca)
    return stack.enter_context(TrickledHeaders(context))


def _direct_tls(stack: ExitStack, directory: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return f"https://{_tls(stack, directory, monkeypatch).url}/v1"


def _tls_via_connect(stack: ExitStack, directory: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    proxy = stack.enter_context(Proxy(_tls(stack, directory, monkeypatch).port))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    return f"https://{SERVER_NAME}:8443/v1"


def _http_via_proxy(stack: ExitStack, directory: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    proxy = stack.enter_context(Proxy(stack.enter_context(TrickledHeaders()).port))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    return f"http://{SERVER_NAME}:8000/v1"


def _trickled_connect(stack: ExitStack, directory: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    proxy = stack.enter_context(Proxy(0, trickle_connect=True))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    return f"https://{SERVER_NAME}:8443/v1"


ROUTES: dict[str, Callable[[ExitStack, Path, pytest.MonkeyPatch], str]] = {
    "TLS": _direct_tls,
    "TLS through a CONNECT proxy": _tls_via_connect,
    "http through a forwarding proxy": _http_via_proxy,
    "a proxy's trickled CONNECT answer": _trickled_connect,
}


def _ask() -> ModelRequest:
    return ModelRequest((Message("system", "s"), Message("user", "hi")))


async def _streamed(model: OpenAIChatModel) -> list[Any]:
    return [piece async for piece in model.astream(_ask())]


WAYS: dict[str, Callable[[OpenAIChatModel], object]] = {
    "complete": lambda model: model.complete(_ask()),
    "stream": lambda model: list(model.stream(_ask())),
    "acomplete": lambda model: asyncio.run(model.acomplete(_ask())),
    "astream": lambda model: asyncio.run(_streamed(model)),
}


@pytest.fixture
def route(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    with ExitStack() as stack:
        yield ROUTES[request.param](stack, tmp_path, monkeypatch)


def _model(url: str, **options: Any) -> OpenAIChatModel:
    retry = RetryPolicy(attempts=3, base_seconds=0.001, max_seconds=0.01)
    return OpenAIChatModel(PROVIDERS["openai"], "m", url, retry=retry, **options)


@pytest.mark.parametrize("route", ROUTES, indirect=True)
@pytest.mark.parametrize("way", WAYS)
def test_trickled_headers_end_at_the_request_deadline(route: str, way: str) -> None:
    model = _model(route, request_timeout=DEADLINE, context_window=8192)
    started = time.monotonic()
    with pytest.raises(ModelTimeout, match=r"no complete answer within 1\.5 s"):
        WAYS[way](model)
    assert time.monotonic() - started < GENEROUS


@pytest.mark.parametrize("route", ["TLS through a CONNECT proxy"], indirect=True)
def test_the_run_wall_clock_limit_ends_a_request_whose_headers_trickle(route: str) -> None:
    """No deadline of the backend's own: the run's time left is the request's."""
    model = _model(route, request_timeout=None, context_window=8192)
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as raised:
        Agent(model, limits=Limits(max_wall_seconds=2)).run("hi")
    assert raised.value.limit == "max_wall_seconds"
    assert time.monotonic() - started < GENEROUS


@pytest.mark.parametrize("route", ["TLS through a CONNECT proxy"], indirect=True)
def test_the_context_window_lookup_ends_at_its_deadline_too(route: str) -> None:
    model = _model(route, request_timeout=DEADLINE)
    started = time.monotonic()
    assert model.context_window() is None  # unknown, in time
    assert time.monotonic() - started < GENEROUS
