"""The cascade benchmark's top tier: an OpenAI-compatible server on loopback that answers each
task with its ground truth. An oracle, not a model: it is always right, answers at once and
reports no usage (autan then estimates the tokens from the request's length, 4 characters a
token, as it does for any server that reports none), so its cost is what a hosted model of the
price table would bill for reading the same prompt and writing the answer.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OracleServer:
    """Answers a request whose first user message is a known task with that task's truth."""

    def __init__(self, truths: dict[str, str]) -> None:
        self.truths = truths
        self.requests = 0
        handler = type("Handler", (_Handler,), {"oracle": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def answer(self, body: dict[str, Any]) -> str:
        self.requests += 1
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        task = users[0].get("content", "") if users else ""
        return self.truths.get(task, "I do not know.")

    def __enter__(self) -> OracleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    oracle: OracleServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        reply = {
            "id": "chatcmpl-oracle",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "oracle",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.oracle.answer(body)},
                    "finish_reason": "stop",
                }
            ],
        }
        payload = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass
