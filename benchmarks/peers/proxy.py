"""A logging proxy in front of a chat-completions server: every exchange to JSONL, per entry.

    python benchmarks/peers/proxy.py --upstream http://127.0.0.1:8090 --port 8091 --log log.jsonl

Each line records the entry it belongs to, the request (messages, tools, tool_choice, …), the
response (or the error), the server's ``usage`` and the latency. ``POST /_proxy/entry`` with
``{"entry": ID, "one_step": bool}`` starts an entry (in-process: ``Proxy.begin``).

One-step mode, for BFCL: once the model has answered one request of the current entry (HTTP
200, with calls or not), later requests of that entry are answered here with a canned final
answer and never reach the model, so an entry is one agent step, one model reply, for every
framework: a framework that would retry a reply it could not parse gets no second reply. The
canned answer is plain text, or a call to ``final_answer`` when the request offers that tool
(smolagents ends a run only through it). Streamed requests are passed through and logged,
never canned. ``--max-tokens N`` gives a request that sets no ``max_tokens`` that budget (the
stock server has none: a runaway reply would run to the end of the context).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CANNED_ANSWER = "Done."
ANSWER_TOOL = "final_answer"


@dataclass
class EntryLog:
    """What one entry cost and what its first step called."""

    entry: str
    one_step: bool = False
    model_requests: int = 0
    canned: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    first_prompt_tokens: int | None = None
    answered: bool = False
    """The model has answered a request of this entry (HTTP 200)."""
    first_calls: list[dict[str, Any]] | None = None
    """The ``tool_calls`` of the first response that had any (None: no response had any)."""
    errors: list[str] = field(default_factory=list)
    model_seconds: float = 0.0


class Proxy:
    """The forwarding server and the current entry's log; one exchange at a time."""

    def __init__(
        self, upstream: str, log_path: Path, port: int = 0, max_tokens: int | None = None
    ) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host, self.upstream_port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.log_path = log_path
        self.max_tokens = max_tokens
        self.current = EntryLog("")
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Proxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def begin(self, entry: str, one_step: bool) -> None:
        with self.lock:
            self.current = EntryLog(entry, one_step)

    def finish(self) -> EntryLog:
        with self.lock:
            done, self.current = self.current, EntryLog("")
            return done

    def exchange(self, path: str, raw: bytes) -> tuple[int, str, bytes]:
        """Status, content type and body of the answer to one POST."""
        with self.lock:
            request = _json_or_none(raw) or {}
            if self.max_tokens and not request.keys() & {"max_tokens", "max_completion_tokens"}:
                request["max_tokens"] = self.max_tokens
                raw = json.dumps(request).encode()
            log = self.current
            if log.one_step and log.answered and not request.get("stream"):
                log.canned += 1
                body = json.dumps(canned_completion(request)).encode()
                self._write(log, request, 200, body, 0.0, canned=True)
                return 200, "application/json", body
            started = time.perf_counter()
            try:
                status, kind, body = self._forward(path, raw)
            except OSError as error:
                status, kind, body = 502, "text/plain", f"proxy: upstream failed: {error}".encode()
            seconds = time.perf_counter() - started
            self._account(log, request, status, body, seconds)
            self._write(log, request, status, body, seconds, canned=False)
            return status, kind, body

    def _forward(self, path: str, raw: bytes) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=900)
        try:
            connection.request("POST", path, raw, {"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type") or "", response.read()
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type") or "", response.read()
        finally:
            connection.close()

    def _account(
        self, log: EntryLog, request: dict[str, Any], status: int, body: bytes, seconds: float
    ) -> None:
        log.model_requests += 1
        log.model_seconds += seconds
        data = _json_or_none(body) if not request.get("stream") else sse_completion(body)
        if status != 200 or not isinstance(data, dict):
            log.errors.append(f"HTTP {status}: {body[:300].decode(errors='replace')}")
            return
        log.answered = True
        usage = data.get("usage") or {}
        log.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        log.completion_tokens += int(usage.get("completion_tokens") or 0)
        if log.first_prompt_tokens is None:
            log.first_prompt_tokens = int(usage.get("prompt_tokens") or 0)
        calls = response_calls(data)
        if calls and log.first_calls is None:
            log.first_calls = calls

    def _write(
        self,
        log: EntryLog,
        request: dict[str, Any],
        status: int,
        body: bytes,
        seconds: float,
        canned: bool,
    ) -> None:
        response = _json_or_none(body)
        record = {
            "entry": log.entry,
            "canned": canned,
            "status": status,
            "seconds": round(seconds, 4),
            "request": request,
            "response": response if response is not None else body.decode(errors="replace"),
            "usage": response.get("usage") if isinstance(response, dict) else None,
        }
        with self.log_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def response_calls(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``tool_calls`` of a completion as ``{"name", "arguments"}`` (arguments decoded when
    they are a JSON object, else kept as the string the server sent)."""
    try:
        message = data["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        return []
    calls = []
    for raw in message.get("tool_calls") or []:
        function = raw.get("function") or {}
        arguments = function.get("arguments")
        decoded = _json_or_none(arguments.encode()) if isinstance(arguments, str) else arguments
        calls.append(
            {
                "name": function.get("name"),
                "arguments": decoded if isinstance(decoded, dict) else arguments,
            }
        )
    return calls


def sse_completion(body: bytes) -> dict[str, Any] | None:
    """A streamed answer folded into one completion: its tool calls and its usage."""
    calls: dict[int, dict[str, str]] = {}
    usage: dict[str, Any] = {}
    chunks = [_json_or_none(line[5:].strip().encode()) for line in body.decode().splitlines()
              if line.startswith("data:") and line[5:].strip() != "[DONE]"]  # fmt: skip
    if not chunks or not all(isinstance(chunk, dict) for chunk in chunks):
        return None
    for chunk in chunks:
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            for delta in (choice.get("delta") or {}).get("tool_calls") or []:
                call = calls.setdefault(delta.get("index", 0), {"name": "", "arguments": ""})
                function = delta.get("function") or {}
                call["name"] += function.get("name") or ""
                call["arguments"] += function.get("arguments") or ""
    tool_calls = [{"function": call} for _, call in sorted(calls.items())]
    return {"choices": [{"message": {"tool_calls": tool_calls}}], "usage": usage}


def canned_completion(request: dict[str, Any]) -> dict[str, Any]:
    """A final answer that costs no model time: a ``final_answer`` call if offered, else text."""
    offered = [(t.get("function") or {}).get("name") for t in request.get("tools") or []]
    message: dict[str, Any] = {"role": "assistant", "content": CANNED_ANSWER}
    finish = "stop"
    if ANSWER_TOOL in offered:
        arguments = json.dumps({"answer": CANNED_ANSWER})
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{uuid.uuid4().hex[:24]}",
                    "type": "function",
                    "function": {"name": ANSWER_TOOL, "arguments": arguments},
                }
            ],
        }
        finish = "tool_calls"
    return {
        "id": f"chatcmpl-canned-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", ""),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, TypeError):
        return None


def _handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._send(*proxy.get(self.path))

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/_proxy/entry":
                command = _json_or_none(raw) or {}
                summary = proxy.finish()
                proxy.begin(str(command.get("entry", "")), bool(command.get("one_step")))
                self._send(200, "application/json", json.dumps(summary.__dict__).encode())
                return
            self._send(*proxy.exchange(self.path, raw))

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind or "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # a client that gave up waiting: logged all the same

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="server root, e.g. http://127.0.0.1:8090")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--log", type=Path, required=True, help="JSONL file appended to")
    parser.add_argument("--max-tokens", type=int, default=None, help="when a request sets none")
    args = parser.parse_args()
    proxy = Proxy(args.upstream, args.log, args.port, args.max_tokens)
    print(f"proxy: {proxy.base_url} -> {args.upstream}, log {args.log}", flush=True)
    proxy.server.serve_forever()


if __name__ == "__main__":
    main()
