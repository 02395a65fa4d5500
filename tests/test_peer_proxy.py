"""The peer benchmark's logging proxy, in front of a scripted server on loopback."""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks" / "peers"))
from proxy import Proxy, canned_completion, sse_completion

sys.path.pop(0)

CALL = {"id": "c", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}


def _completion(with_call: bool, prompt_tokens: int) -> dict[str, Any]:
    message = {"role": "assistant", "content": None if with_call else "hi"}
    if with_call:
        message["tool_calls"] = [CALL]
    return {
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 2},
    }


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A server answering text first, then a call, counting the requests it saw."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps(_completion(len(seen) % 2 == 0, 10 * len(seen))).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url + "/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


def test_one_step_mode_cans_every_request_after_the_first_reply(
    upstream: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """The first reply is text (a framework might retry it): the retry gets a canned answer."""
    url, seen = upstream
    proxy = Proxy(url, tmp_path / "log.jsonl").start()
    try:
        proxy.begin("e1", one_step=True)
        replies = [_post(proxy.base_url, {"messages": [{"role": "user", "content": "x"}]})
                   for _ in range(3)]  # fmt: skip
        log = proxy.finish()
    finally:
        proxy.stop()
    assert len(seen) == 1
    assert replies[0]["choices"][0]["message"]["content"] == "hi"
    assert replies[2]["choices"][0]["message"]["content"] == "Done."
    assert (log.model_requests, log.canned, log.prompt_tokens) == (1, 2, 10)
    assert log.first_prompt_tokens == 10
    assert log.first_calls is None
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [line["canned"] for line in lines] == [False, True, True]
    assert {line["entry"] for line in lines} == {"e1"}


def test_one_step_mode_records_the_calls_of_the_reply(
    upstream: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    url, seen = upstream
    proxy = Proxy(url, tmp_path / "log.jsonl").start()
    try:
        proxy.begin("e0", one_step=False)
        _post(proxy.base_url, {"messages": []})  # the server's text reply, outside the entry
        proxy.finish()
        proxy.begin("e1", one_step=True)
        reply = _post(proxy.base_url, {"messages": []})
        canned = _post(proxy.base_url, {"messages": []})
        log = proxy.finish()
    finally:
        proxy.stop()
    assert len(seen) == 2
    assert reply["choices"][0]["message"]["tool_calls"] == [CALL]
    assert canned["choices"][0]["message"]["content"] == "Done."
    assert log.first_calls == [{"name": "add", "arguments": {"a": 1}}]


def test_without_one_step_every_request_reaches_the_server(
    upstream: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    url, seen = upstream
    proxy = Proxy(url, tmp_path / "log.jsonl").start()
    try:
        proxy.begin("e2", one_step=False)
        for _ in range(3):
            _post(proxy.base_url, {"messages": []})
        log = proxy.finish()
    finally:
        proxy.stop()
    assert len(seen) == 3
    assert (log.model_requests, log.canned) == (3, 0)


def test_the_canned_answer_calls_final_answer_when_it_is_offered() -> None:
    offered = {"tools": [{"type": "function", "function": {"name": "final_answer"}}]}
    (call,) = canned_completion(offered)["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "final_answer"
    assert canned_completion({})["choices"][0]["message"]["content"] == "Done."


def test_a_stream_is_folded_into_its_calls_and_usage() -> None:
    chunks = [
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"name": "add"}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}}]},
        {"choices": [], "usage": {"prompt_tokens": 7}},
    ]
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    folded = sse_completion(body.encode())
    assert folded is not None
    assert folded["usage"] == {"prompt_tokens": 7}
    assert folded["choices"][0]["message"]["tool_calls"] == [
        {"function": {"name": "add", "arguments": "{}"}}
    ]


def test_a_request_without_a_budget_gets_the_proxys(
    upstream: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    url, seen = upstream
    proxy = Proxy(url, tmp_path / "log.jsonl", max_tokens=256).start()
    try:
        _post(proxy.base_url, {"messages": []})
        _post(proxy.base_url, {"messages": [], "max_tokens": 9})
    finally:
        proxy.stop()
    assert [request["max_tokens"] for request in seen] == [256, 9]
