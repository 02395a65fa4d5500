"""Choosing a server's tool protocol by probing it once, with the answer cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import load_model
from autan.models.probe import cache_file
from fake_chat_server import FakeChatServer, Reply, completion, function_call

PING = function_call("p1", "ping", {"value": 1})


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


CONSTRAINED_PING = completion('{"tool": "ping", "arguments": {"value": 1}}')


@pytest.mark.parametrize(
    ("replies", "expected", "requests"),
    [
        ([Reply(body=CONSTRAINED_PING)], "constrained", 1),
        ([Reply(body=completion("pong")), Reply(body=completion(tool_calls=[PING]))], "native", 2),
        (
            [
                Reply(400, {"error": "response_format unsupported"}),
                Reply(body=completion(tool_calls=[PING])),
            ],
            "native",
            2,
        ),
        ([Reply(body=completion("pong")), Reply(body=completion("pong"))], "text", 2),
        ([Reply(500, {"error": "assert"}), Reply(500, {"error": "assert"})], "text", 2),
    ],
    ids=["schema-held", "schema-ignored", "schema-refused", "nothing-works", "both-crash"],
)
def test_probe_picks_the_best_protocol(replies: list[Reply], expected: str, requests: int) -> None:
    with FakeChatServer(replies) as server:
        model = load_model(f"openai:m@{server.url}")
        assert model.tool_protocol == expected  # type: ignore[attr-defined]
    assert len(server.requests) == requests
    assert "response_format" in server.requests[0].body
    assert all(r.body["tool_choice"] == "required" for r in server.requests[1:])


def test_answer_is_cached_per_server_and_model() -> None:
    with FakeChatServer([Reply(body=CONSTRAINED_PING)]) as server:
        assert load_model(f"openai:m@{server.url}").tool_protocol == "constrained"  # type: ignore[attr-defined]
        assert load_model(f"openai:m@{server.url}").tool_protocol == "constrained"  # type: ignore[attr-defined]
        assert len(server.requests) == 1
    assert cache_file().is_file()


def test_explicit_protocol_skips_the_probe() -> None:
    with FakeChatServer([]) as server:
        model = load_model(f"openai:m@{server.url}", tool_protocol="text")
        assert model.tool_protocol == "text"  # type: ignore[attr-defined]
    assert server.requests == []


def test_hosted_apis_default_to_native(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "sk-test-0123456789")
    assert load_model("mistral:mistral-small-latest").tool_protocol == "native"  # type: ignore[attr-defined]
