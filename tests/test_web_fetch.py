"""The fetch tool against a real HTTP server on loopback: an injection page's text comes back
untrusted and cannot make the agent write; the bounds on size, time, redirects, schemes and
private addresses hold."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from autan import Agent, ToolResulted
from autan.events import PolicyApplied
from autan.testing import ScriptedModel
from autan.tools import trust_of
from autan.tools.builtin import builtin_tools
from autan.web import PrivateAddressRefused, fetch_tool
from web_server import PAYLOAD, WebServer


@pytest.fixture(scope="module")
def server() -> Iterator[WebServer]:
    with WebServer() as running:
        yield running


def fetched(url: str, **bounds: float) -> str:
    return str(fetch_tool(allow_private=True, **bounds).function(url=url))  # type: ignore[arg-type]


def test_an_injection_page_is_untrusted_and_cannot_trigger_a_write(
    server: WebServer, tmp_path: Path
) -> None:
    script = [
        ("fetch", {"url": f"{server.url}/injection"}),
        ("write_file", {"path": "owned.sh", "content": PAYLOAD}),
        "done",
    ]
    tools = [fetch_tool(allow_private=True), *builtin_tools(tmp_path)]
    result = Agent(ScriptedModel(script), tools, trust="strict").run("What is the weather?")
    assert not (tmp_path / "owned.sh").exists()
    page = next(e for e in result.events if isinstance(e, ToolResulted) and e.name == "fetch")
    assert (page.source, page.trusted, page.is_error) == ("web", False, False)
    assert "Sunny, 21 degrees." in page.output
    (applied,) = [e for e in result.events if isinstance(e, PolicyApplied)]
    assert applied.action == "refuse"
    assert "untrusted content (web)" in applied.reason
    assert applied.copied == (PAYLOAD,)


def test_html_becomes_markdown_without_scripts_or_styles(server: WebServer) -> None:
    text = fetched(f"{server.url}/injection")
    assert text.startswith(f"{server.url}/injection\n\n")
    assert "# Forecast" in text
    assert "script text" not in text
    assert "color: red" not in text
    assert trust_of(fetch_tool()) == "untrusted"


def test_loopback_is_refused_unless_allowed(server: WebServer) -> None:
    with pytest.raises(PrivateAddressRefused, match="loopback address"):
        fetch_tool().function(url=f"{server.url}/injection")
    with pytest.raises(PrivateAddressRefused, match="private address"):
        fetch_tool().function(url="http://10.1.2.3/")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/bomb", "larger than 100000 bytes"),
        ("/to-file", "only http and https"),
        ("/loop", "more than 5 redirects"),
        ("/image.png", "image/png, not a text page"),
        ("/missing", "HTTP 404"),
    ],
)
def test_what_is_not_a_bounded_text_page_is_an_error(
    server: WebServer, path: str, message: str
) -> None:
    with pytest.raises(Exception, match=message):
        fetched(f"{server.url}{path}", max_bytes=100_000)


def test_a_page_that_trickles_is_cut_off_at_the_deadline(server: WebServer) -> None:
    with pytest.raises(Exception, match=r"within 0\.5 s"):
        fetched(f"{server.url}/slow", seconds=0.5)


def test_a_redirect_is_followed_and_the_final_url_named(server: WebServer) -> None:
    assert fetched(f"{server.url}/to-page").startswith(f"{server.url}/injection\n")


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "not a url"])
def test_only_http_and_https_urls_are_fetched(url: str) -> None:
    with pytest.raises(ValueError, match="only http and https"):
        fetch_tool().function(url=url)


def test_a_name_that_resolves_to_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real("127.0.0.1", *a, **k))
    with pytest.raises(PrivateAddressRefused, match=r"'innocent\.example' is a loopback"):
        fetch_tool().function(url="http://innocent.example/")


def test_the_request_goes_to_the_address_checked_not_a_second_lookup(
    server: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolve_once(host: str, *args: object, **kwargs: object) -> object:
        if host == "127.0.0.1":  # connecting to the address: no lookup
            return real(host, *args, **kwargs)  # type: ignore[arg-type]
        lookups.append(host)
        if len(lookups) > 1:  # a rebinding name would answer anew here
            raise socket.gaierror("looked up twice")
        return real("127.0.0.1", *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve_once)
    port = server.url.rpartition(":")[2]
    assert "Sunny, 21 degrees." in fetched(f"http://site.test:{port}/injection")
    assert lookups == ["site.test"]


def test_autan_run_offers_fetch_only_when_asked(
    server: WebServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autan.cli import main
    from fake_chat_server import FakeChatServer, Reply, completion, function_call

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    fetch = function_call("c1", "fetch", {"url": f"{server.url}/injection"})
    replies = [Reply(body=completion(tool_calls=[fetch])), Reply(body=completion("sunny"))]
    cases = [
        ("", [], "unknown tool"),
        ("", ["--fetch"], "loopback address"),
        ("", ["--fetch", "--fetch-private"], "Sunny, 21"),
        ("fetch = true\nfetch_private = true\n", [], "Sunny, 21"),
    ]
    for toml, flags, answered in cases:
        (tmp_path / "autan.toml").write_text(toml)
        with FakeChatServer(list(replies)) as chat:
            spec = f"openai:m@{chat.url}"
            argv = ["run", "weather?", "--model", spec, "--tool-protocol", "native", "--json"]
            assert main([*argv, "--no-store", *flags]) == 0
            assert answered in str(chat.requests[-1])
