"""A pass-through proxy on loopback that counts each framework's model requests and tokens.

Standard library only. Every request is forwarded unchanged to ``upstream`` and recorded under the
current ``label`` (set by the runner before each task) with the server's ``usage`` from the
reply (the last ``usage`` of an event stream). A request still in flight when its task was cut
off stays recorded under the label it started with.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Recorded:
    label: str
    status: int
    request_bytes: int
    prompt_tokens: int | None
    completion_tokens: int | None


class RequestCounter:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.label = ""
        self.records: list[Recorded] = []
        self.first_bodies: dict[str, bytes] = {}
        self._in_flight = 0
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def of(self, label: str) -> list[Recorded]:
        return [r for r in self.records if r.label == label]

    def wait_idle(self, seconds: float) -> bool:
        """Wait until no forwarded request is in flight (the server is free for the next task)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._in_flight == 0, timeout=seconds)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Any:
        connection = http.client.HTTPConnection(*self._upstream, timeout=900)
        try:
            connection.request(method, path, body or None, headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()

    def _record(self, label: str, status: int, body: bytes, reply: bytes) -> None:
        usage = _usage(reply)
        with self._lock:
            self.first_bodies.setdefault(label, body)
            self.records.append(
                Recorded(
                    label,
                    status,
                    len(body),
                    usage.get("prompt_tokens"),
                    usage.get("completion_tokens"),
                )
            )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        counter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                self._relay("GET", b"")

            def do_POST(self) -> None:
                self._relay("POST", self.rfile.read(int(self.headers.get("Content-Length", "0"))))

            def _relay(self, method: str, body: bytes) -> None:
                label = counter.label
                with counter._lock:
                    counter._in_flight += 1
                try:
                    headers = {"Content-Type": "application/json"}
                    try:
                        status, kind, reply = counter._forward(method, self.path, body, headers)
                    except OSError as error:
                        status, kind, reply = 502, "", json.dumps({"error": str(error)}).encode()
                    if method == "POST":
                        counter._record(label, status, body, reply)
                finally:
                    with counter._lock:
                        counter._in_flight -= 1
                        counter._lock.notify_all()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind or "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # the client was cut off (its task timed out)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _usage(reply: bytes) -> dict[str, Any]:
    text = reply.decode("utf-8", "replace")
    try:
        return dict(json.loads(text).get("usage") or {})
    except (ValueError, AttributeError):
        pass
    usage: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith("data:") and '"usage"' in line:
            try:
                usage = dict(json.loads(line[5:]).get("usage") or usage)
            except ValueError:
                continue
    return usage
