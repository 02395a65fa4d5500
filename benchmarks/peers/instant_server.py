"""An instant OpenAI-compatible chat-completions server on loopback, with canned replies.

Standard library only (it runs inside each peer's virtual environment). A run is one tool call
of ``add`` with ``{"a": 2, "b": 3}``, then the answer ``5``: as text, or as a call of
``final_answer`` when the request offers that tool (smolagents' agents answer through it). A
request offering ``ping`` (autan's probe of a server's tool calling) gets a call of ``ping``.
Nagle is off, so the time measured is the client's. Every request body is kept in ``requests``.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"call_{name}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def reply_for(body: dict[str, Any]) -> dict[str, Any]:
    # The call was made once the conversation holds an assistant turn (smolagents sends tool
    # results back as user text, not as ``tool`` messages).
    answered = any(m.get("role") in ("assistant", "tool") for m in body.get("messages", []))
    offered = {t.get("function", {}).get("name") for t in body.get("tools") or []}
    message: dict[str, Any]
    if "ping" in offered:  # autan's one-time probe of the server's tool calling
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [_call("ping", {"value": 1})],
        }
    elif not answered:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [_call("add", {"a": 2, "b": 3})],
        }
    elif "final_answer" in offered:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [_call("final_answer", {"answer": "5"})],
        }
    else:
        message = {"role": "assistant", "content": "5"}
    return {
        "id": "chatcmpl-instant",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "instant"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
            }
        ],
        "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55},
    }


class InstantServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = json.loads(raw)
                owner.requests.append(body)
                payload = json.dumps(reply_for(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}/v1"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


ADD_SCHEMA = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}


def add(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


def bare_run(connection: http.client.HTTPConnection) -> str:
    """The same run as a framework's, by hand: two requests on one kept-alive connection."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "add 2 and 3"}]
    tools = [{"type": "function", "function": {"name": "add", "parameters": ADD_SCHEMA}}]
    for _ in range(2):
        body = json.dumps({"model": "m", "messages": messages, "tools": tools})
        connection.request(
            "POST", "/v1/chat/completions", body, {"Content-Type": "application/json"}
        )
        message = json.loads(connection.getresponse().read())["choices"][0]["message"]
        messages.append(message)
        for call in message.get("tool_calls") or []:
            arguments = json.loads(call["function"]["arguments"])
            messages.append(
                {"role": "tool", "tool_call_id": call["id"], "content": add(**arguments)}
            )
    return str(messages[-1].get("content"))
