"""A chat-completions server on loopback that plays back scripted replies and records requests.

The replies in the tests are written by hand from the providers' public API documentation
(Mistral and DeepSeek chat completions, OpenAI streaming format); none is a live recording.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    sse: list[str] | None = None
    """Raw ``data:`` payloads (JSON text or anything else) sent as an event stream."""
    headers: dict[str, str] = field(default_factory=dict)
    echo_authorization: bool = False
    echo_key: bool = False
    """Every ``ECHO`` in ``body`` becomes the request's API key: a hostile server."""
    delay: float = 0.0
    """Seconds to wait before answering."""
    raw: bytes | None = None
    """A body sent as it is, with ``headers`` only (no Content-Type or Content-Length added)."""
    trickle: float = 0.0
    """Seconds between the bytes of the body or event stream, sent one at a time."""
    sse_forever: bool = False
    """Send the events of ``sse`` over and over."""


ECHO = "<<the request's API key>>"
SLOW_FOR = 60.0
"""A trickled or endless answer is cut off after this many seconds: no test can hang on one."""


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    client_port: int = 0


class FakeChatServer:
    def __init__(
        self,
        replies: list[Reply],
        models: dict[str, Any] | Reply | None = None,
        keep_alive: bool = False,
        drop_kept_connections: bool = False,
    ) -> None:
        """``models`` is the ``/models`` listing (or the whole reply). ``keep_alive`` answers
        in HTTP/1.1 with persistent connections (not for ``sse``);
        ``drop_kept_connections`` then closes each one after its answer without saying so, as
        a server does when an idle connection times out."""
        self.replies = list(replies)
        self.models = models
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.most_in_flight = 0
        """The most POST requests being answered at once."""
        self._counting = threading.Lock()
        self.drop_kept_connections = drop_kept_connections
        handler = type(
            "Handler",
            (_Handler,),
            {"fake": self, "protocol_version": "HTTP/1.1" if keep_alive else "HTTP/1.0"},
        )
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    """Answers with the replies of ``fake``, the server it belongs to, and records requests."""

    fake: FakeChatServer

    def do_GET(self) -> None:
        models = self.fake.models
        if self.path.endswith("/models") and isinstance(models, Reply):
            self._answer(models)
        elif self.path.endswith("/models") and models is not None:
            self._answer(Reply(body=models))
        else:
            self._answer(Reply(404, {"error": "not found"}))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        port = self.client_address[1]
        self.fake.requests.append(Recorded(self.path, dict(self.headers), body, port))
        replies = self.fake.replies
        with self.fake._counting:
            self.fake.in_flight += 1
            self.fake.most_in_flight = max(self.fake.most_in_flight, self.fake.in_flight)
        try:
            self._answer(replies.pop(0) if replies else Reply(500, {"error": "no reply"}))
        finally:
            with self.fake._counting:
                self.fake.in_flight -= 1

    def _answer(self, reply: Reply) -> None:
        time.sleep(reply.delay)
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if reply.raw is not None:
            self.end_headers()
            self._write(reply.raw, reply.trickle)
        elif reply.sse is not None:
            self._answer_events(reply, reply.sse)
        else:
            self._answer_json(reply)

    def _answer_events(self, reply: Reply, sse: list[str]) -> None:
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        cutoff = time.monotonic() + SLOW_FOR
        while True:
            self._write("".join(f"data: {data}\n\n" for data in sse).encode(), reply.trickle)
            if not reply.sse_forever or time.monotonic() > cutoff:
                return
            time.sleep(0.01)

    def _answer_json(self, reply: Reply) -> None:
        body = reply.body
        if reply.echo_authorization:
            body = {"error": {"message": f"bad key {self.headers.get('Authorization')}"}}
        if reply.echo_key:
            key = str(self.headers.get("Authorization", "")).removeprefix("Bearer ")
            body = json.loads(json.dumps(body).replace(ECHO, key))
        payload = json.dumps(body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self._write(payload, reply.trickle)
        if self.fake.drop_kept_connections:
            self.close_connection = True

    def _write(self, data: bytes, trickle: float) -> None:
        if not trickle:
            self.wfile.write(data)
            return
        cutoff = time.monotonic() + SLOW_FOR
        for index in range(len(data)):
            if time.monotonic() > cutoff:
                self.close_connection = True
                return
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()
            time.sleep(trickle)

    def log_message(self, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    """A client that hung up (a test of its timeout) is not an error of the server."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def completion(
    content: str = "",
    tool_calls: list[dict[str, Any]] | None = None,
    reasoning: str | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": usage or {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
    }


def function_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
