"""Plain-``http`` servers without a proxy are reached over kept ``http.client`` connections;
TLS and proxied servers stay on httpx. Real servers on loopback."""

from __future__ import annotations

import threading

import pytest

from autan import ModelConnectionError
from autan.messages import Message, ModelRequest
from autan.models import _plain_http
from autan.models._plain_http import plain_http_applies
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS
from autan.models.retry_policy import RetryPolicy
from fake_chat_server import FakeChatServer, Reply, completion

ONCE = RetryPolicy(attempts=1)
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def model(url: str, **options: object) -> OpenAIChatModel:
    return OpenAIChatModel(PROVIDERS["openai"], "m", url, retry=ONCE, **options)  # type: ignore[arg-type]


def ask(text: str = "hi") -> ModelRequest:
    return ModelRequest((Message("system", "s"), Message("user", text)))


def answers(count: int) -> list[Reply]:
    return [Reply(body=completion(f"answer {i}")) for i in range(count)]


def test_requests_share_one_kept_connection() -> None:
    with FakeChatServer(answers(3), keep_alive=True) as server:
        backend = model(server.url)
        texts = [backend.complete(ask()).text for _ in range(3)]
    assert texts == ["answer 0", "answer 1", "answer 2"]
    assert len({r.client_port for r in server.requests}) == 1
    assert backend._async_client is None  # httpx was never needed
    assert backend._thread_client is None


def test_a_connection_the_server_dropped_is_replaced() -> None:
    with FakeChatServer(answers(3), keep_alive=True, drop_kept_connections=True) as server:
        backend = model(server.url)
        texts = [backend.complete(ask()).text for _ in range(3)]
    assert texts == ["answer 0", "answer 1", "answer 2"]
    assert len({r.client_port for r in server.requests}) == 3


def test_a_drop_noticed_only_on_sending_is_retried_once_on_a_new_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_plain_http, "_still_open", lambda connection: True)
    with FakeChatServer(answers(2), keep_alive=True, drop_kept_connections=True) as server:
        backend = model(server.url)
        assert backend.complete(ask()).text == "answer 0"
        assert backend.complete(ask()).text == "answer 1"
    assert len(server.requests) == 2


def test_body_headers_and_path_are_those_httpx_would_send() -> None:
    with FakeChatServer(answers(1), keep_alive=True) as server:
        model(server.url, api_key="sk-test").complete(ask("héllo"))
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == "Bearer sk-test"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body["messages"][1]["content"] == "héllo"


def test_threads_sharing_a_model_each_get_their_own_answer() -> None:
    replies = [Reply(body=completion("same")) for _ in range(40)]
    with FakeChatServer(replies, keep_alive=True) as server:
        backend = model(server.url)
        texts: list[str] = []

        def work() -> None:
            texts.extend(backend.complete(ask()).text for _ in range(5))

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert texts == ["same"] * 40


def test_read_timeout_is_a_connection_error() -> None:
    late = [Reply(body=completion("late"), delay=1.0)]
    with (
        FakeChatServer(late, keep_alive=True) as server,
        pytest.raises(ModelConnectionError, match="timed out"),
    ):
        model(server.url, read_timeout=0.2).complete(ask())


def test_window_is_read_from_the_model_listing() -> None:
    listing = {"data": [{"id": "m", "max_model_len": 8192}]}
    with FakeChatServer([], models=listing, keep_alive=True) as server:
        assert model(server.url).context_window() == 8192


@pytest.mark.parametrize(
    ("url", "environment", "plain"),
    [
        ("http://127.0.0.1:8080/v1", {}, True),
        ("http://gpu-box.lan:8000/v1", {}, True),
        ("https://api.mistral.ai/v1", {}, False),
        ("http://127.0.0.1:8080/v1", {"HTTP_PROXY": "http://proxy:3128"}, False),
        ("http://127.0.0.1:8080/v1", {"all_proxy": "socks5://proxy:1080"}, False),
        ("http://127.0.0.1:8080/v1", {"HTTPS_PROXY": "http://proxy:3128"}, True),
        (
            "http://127.0.0.1:8080/v1",
            {"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "localhost,127.0.0.1"},
            True,
        ),
        (
            "http://gpu-box.lan:8000/v1",
            {"http_proxy": "http://proxy:3128", "no_proxy": ".lan"},
            True,
        ),
        ("http://gpu-box.lan:8000/v1", {"http_proxy": "http://p:1", "no_proxy": "*"}, True),
        ("http://notlan:8000/v1", {"http_proxy": "http://p:1", "no_proxy": "lan"}, False),
    ],
)
def test_which_servers_go_plain(
    url: str, environment: dict[str, str], plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert plain_http_applies(url) is plain


def test_a_proxy_from_the_environment_is_still_used(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeChatServer(answers(1)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("/v1"))
        text = model("http://model-server.invalid:8000/v1").complete(ask()).text
    assert text == "answer 0"
    assert proxy.requests[0].path == "http://model-server.invalid:8000/v1/chat/completions"
