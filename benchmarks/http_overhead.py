"""Framework overhead against an instant OpenAI-compatible server on loopback.

    python benchmarks/http_overhead.py [--runs 300]

A run is one tool call and a final answer (two chat-completions requests). The server answers
from a canned script at once, so what is measured is the client side: autan's agent loop and
HTTP backend, next to a bare ``http.client`` loop sending the same two requests, in the same run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from autan import Agent, tool
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS

CALL = {
    "id": "c1",
    "type": "function",
    "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
}


def reply_for(body: dict[str, Any]) -> dict[str, Any]:
    answered = any(m.get("role") == "tool" for m in body.get("messages", []))
    message: dict[str, Any] = (
        {"role": "assistant", "content": "5"}
        if answered
        else {"role": "assistant", "content": "", "tool_calls": [CALL]}
    )
    return {
        "id": "x",
        "object": "chat.completion",
        "model": "fake",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55},
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        payload = json.dumps(reply_for(body)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def bare_run(connection: http.client.HTTPConnection) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "add 2 and 3"}]
    tools = [{"type": "function", "function": {"name": "add", "parameters": add.parameters}}]
    for _ in range(2):
        body = json.dumps({"model": "m", "messages": messages, "tools": tools})
        connection.request(
            "POST", "/v1/chat/completions", body, {"Content-Type": "application/json"}
        )
        reply = json.loads(connection.getresponse().read())
        message = reply["choices"][0]["message"]
        messages.append(message)
        for call in message.get("tool_calls") or []:
            arguments = json.loads(call["function"]["arguments"])
            messages.append(
                {"role": "tool", "tool_call_id": call["id"], "content": str(add(**arguments))}
            )


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    model = OpenAIChatModel(PROVIDERS["openai"], "m", f"http://{host}:{port}/v1")
    connection = http.client.HTTPConnection(str(host), int(port))
    autan_samples, bare_samples = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        Agent(model, tools=[add]).run("add 2 and 3")
        autan_samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare_run(connection)
        bare_samples.append(time.perf_counter() - started)
    autan_ms, bare_ms = median_ms(autan_samples), median_ms(bare_samples)
    print(
        json.dumps(
            {
                "runs": args.runs,
                "autan_median_ms": autan_ms,
                "bare_http_client_median_ms": bare_ms,
                "autan_overhead_ms": round(autan_ms - bare_ms, 3),
                "ratio": round(autan_ms / bare_ms, 2),
            },
            indent=1,
        )
    )
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
