"""MCP: the per-call cost of a tool behind an MCP stdio server against the same function as a
plain autan tool, and the first request's prompt tokens with mcp-server-git's tools under the
``constrained`` protocol against ``native`` (tokens counted by the embedded model's tokenizer).

    python benchmarks/mcp_overhead.py [--calls 300]

The MCP server is this file run with ``--serve`` (the SDK's ``MCPServer``, one ``add`` tool).
Each call goes the way an agent's call goes: validation, then the function; medians reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the server (--serve) runs without autan on its path
    from autan import Tool


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def serve() -> None:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("bench")
    server.add_tool(add)
    server.run()


def per_call_ms(subject: Tool, calls: int) -> float:
    samples = []
    for n in range(calls):
        started = time.perf_counter()
        subject.function(**subject.validate({"a": n, "b": 1}))
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def call_overhead(calls: int) -> dict[str, Any]:
    from autan import tool
    from autan.mcp import mcp_tools

    plain = tool(add)
    started = time.perf_counter()
    with mcp_tools(f"{sys.executable} {__file__} --serve") as tools:
        connect_s = time.perf_counter() - started
        remote = tools[0]
        per_call_ms(remote, 20)  # warm up
        mcp_ms = per_call_ms(remote, calls)
    plain_ms = per_call_ms(plain, calls)
    return {
        "plain_tool_ms": round(plain_ms, 4),
        "mcp_stdio_tool_ms": round(mcp_ms, 3),
        "overhead_ms": round(mcp_ms - plain_ms, 3),
        "connect_s": round(connect_s, 2),
    }


def prompt_tokens() -> dict[str, Any]:
    from llama_cpp import Llama

    from autan.agent._agent import DEFAULT_INSTRUCTIONS
    from autan.mcp import mcp_tools
    from autan.models.embedded import default_gguf_path
    from autan.protocols.constrained import system_block

    with tempfile.TemporaryDirectory() as repo:
        subprocess.run(["git", "init", "-q", repo], check=True)
        with mcp_tools(f"{sys.executable} -m mcp_server_git --repository {repo}") as tools:
            specs = tuple(t.spec for t in tools)
    vocab = Llama(model_path=str(default_gguf_path()), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode(), add_bos=False))

    native = [
        {"type": "function", "function": {"name": s.name, "description": s.description,
                                          "parameters": s.parameters}}
        for s in specs
    ]  # fmt: skip
    return {
        "tools": len(specs),
        "constrained_system_block_tokens": count(system_block(DEFAULT_INSTRUCTIONS, specs)),
        "native_tools_json_tokens": count(json.dumps(native)),
        "native_instructions_tokens": count(DEFAULT_INSTRUCTIONS),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    print(json.dumps({"calls": call_overhead(args.calls), "prompt": prompt_tokens()}, indent=2))


if __name__ == "__main__":
    main()
