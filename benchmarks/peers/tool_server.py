"""An OpenAI-compatible chat-completions server with tools done right, around ``llama_cpp.Llama``.

    python benchmarks/peers/tool_server.py [--port 8090] [--model PATH] [--n-ctx 8192]

llama-cpp-python's own server answers ``tool_choice="required"`` and ``content: null`` with
HTTP 500 and drops tool results from the prompt; this one renders tools, calls and results in
SmolLM2's function-calling format (``chatml_tools``), so every framework meets the same model
with a working tools API. It serves ``POST /v1/chat/completions`` (``tools``, ``tool_choice``
none/auto/required/named, parallel calls, ``tool`` messages, ``response_format``, ``stream``)
and ``GET /v1/models``, one request at a time.

Sampling: the request's ``temperature`` (default 0, so runs repeat), ``top_p``, ``stop``,
``seed``; ``max_tokens`` (or ``max_completion_tokens``) default ``--max-tokens`` (512).
``tool_choice`` required or named constrains the reply to calls of the offered tools with
their argument schemas (a llama.cpp grammar); auto leaves the model free and reads its calls.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chatml_tools import (
    CALL_CLOSE,
    CALL_OPEN,
    END,
    forced_calls_schema,
    message_for,
    offered_tools,
    parse_reply,
    render_prompt,
)


class BadRequest(Exception):
    pass


class Completer:
    """The model and the one lock that keeps it to one request at a time."""

    def __init__(self, model_path: str, n_ctx: int, max_tokens: int, name: str) -> None:
        import llama_cpp

        self.llama = llama_cpp.Llama(model_path, n_ctx=n_ctx, verbose=False, seed=0)
        self.max_tokens = max_tokens
        self.name = name
        self.lock = threading.Lock()

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BadRequest("'messages' must be a non-empty list")
        choice = body.get("tool_choice", "auto")
        functions = offered_tools(body.get("tools"), choice)
        forced = bool(functions) and (choice == "required" or isinstance(choice, dict))
        prompt = render_prompt(messages, functions, forced)
        with self.lock:
            output = self.llama.create_completion(
                prompt, grammar=self._grammar(body, functions, forced), **self._sampling(body)
            )
        text = output["choices"][0]["text"]
        content, calls = parse_reply(CALL_OPEN + text + CALL_CLOSE if forced else text)
        finish = output["choices"][0].get("finish_reason") or "stop"
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.name,
            "choices": [
                {
                    "index": 0,
                    "message": message_for(content, calls),
                    "finish_reason": "tool_calls" if calls else finish,
                }
            ],
            "usage": {
                "prompt_tokens": output["usage"]["prompt_tokens"],
                "completion_tokens": output["usage"]["completion_tokens"],
                "total_tokens": output["usage"]["total_tokens"],
            },
        }

    def _sampling(self, body: dict[str, Any]) -> dict[str, Any]:
        stop = body.get("stop") or []
        return {
            "max_tokens": body.get("max_completion_tokens")
            or body.get("max_tokens")
            or self.max_tokens,
            "temperature": float(body.get("temperature") or 0.0),
            "top_p": float(body.get("top_p") or 1.0),
            "stop": [END, *([stop] if isinstance(stop, str) else stop)],
            "seed": body.get("seed", 0),
        }

    def _grammar(self, body: dict[str, Any], functions: list[dict[str, Any]], forced: bool) -> Any:
        from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

        if forced:
            try:
                schema = forced_calls_schema(functions)
                return LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
            except Exception:  # a schema llama.cpp cannot compile: constrain the names only
                bare = [{**f, "parameters": {"type": "object"}} for f in functions]
                schema = forced_calls_schema(bare)
                return LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            schema = (response_format.get("json_schema") or {}).get("schema") or {}
            return LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        if response_format.get("type") == "json_object":
            return LlamaGrammar.from_string(JSON_GBNF, verbose=False)
        return None


def stream_events(completion: dict[str, Any], include_usage: bool) -> list[dict[str, Any]]:
    """A finished completion as the chunks of a stream: the message, the finish, the usage."""
    choice = completion["choices"][0]
    message = choice["message"]
    delta: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
    if message.get("tool_calls"):
        delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(message["tool_calls"])]
    head = {k: completion[k] for k in ("id", "created", "model")}
    head["object"] = "chat.completion.chunk"
    chunks = [
        {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]},
    ]
    if include_usage:
        chunks.append({**head, "choices": [], "usage": completion["usage"]})
    return chunks


def make_handler(completer: Completer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                model = {"id": completer.name, "object": "model", "owned_by": "local"}
                self._json(200, {"object": "list", "data": [model]})
            else:
                self._json(404, _error(f"no route {self.path}", "not_found"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, _error(f"no route {self.path}", "not_found"))
                return
            try:
                body = json.loads(raw)
                completion = completer.complete(body)
            except (BadRequest, json.JSONDecodeError, TypeError, ValueError, KeyError) as error:
                self._json(400, _error(str(error), "invalid_request_error"))
                return
            if body.get("stream"):
                include = bool((body.get("stream_options") or {}).get("include_usage"))
                self._stream(stream_events(completion, include))
            else:
                self._json(200, completion)

        def _json(self, status: int, data: dict[str, Any]) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, chunks: list[dict[str, Any]]) -> None:
            lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]
            payload = "".join(lines).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind}}


def default_model_path() -> str:
    from autan.models.embedded import default_gguf_path

    return str(default_gguf_path())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--model", default=None, help="GGUF path (default: autan's embedded)")
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--max-tokens", type=int, default=512, help="when a request sets none")
    parser.add_argument("--name", default="smollm2-135m-instruct", help="model id served")
    args = parser.parse_args()
    completer = Completer(
        args.model or default_model_path(), args.n_ctx, args.max_tokens, args.name
    )
    server = ThreadingHTTPServer((args.host, args.port), make_handler(completer))
    print(f"tool_server: http://{args.host}:{args.port}/v1 ({args.name})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
