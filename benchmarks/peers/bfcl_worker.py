"""Runs BFCL entries through one peer framework; started by ``bfcl_peers.py`` with the peer's
own virtual-environment python. Stdlib only (plus the peer, through its adapter).

    <venv>/bin/python benchmarks/peers/bfcl_worker.py PEER

Reads one JSON request per line on stdin — ``{"task", "tools": [{"name", "description",
"parameters"}], "base_url", "model"}`` — builds the peer's agent with those tools, runs the task,
and writes one JSON line: ``{"answer", "error", "seconds", "build_seconds", "executed"}``.
Tools are not executed for real: each call is recorded in ``executed`` and answered "done".
Anything the framework prints goes to stderr, so stdout carries only the answers. ``seconds``
is the run alone; the framework is imported before the first request, outside the clock.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adapters._common import ToolDef

TOOL_RESULT = "done"


def serve(peer: str) -> None:
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the framework's own printing must not reach the answer channel
    adapter = importlib.import_module(f"adapters.{peer}")
    adapter.make_agent([], "http://127.0.0.1:9/v1", "warm-up")  # imports, outside the clock
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(run_one(adapter, json.loads(line))) + "\n")


def run_one(adapter: Any, request: dict[str, Any]) -> dict[str, Any]:
    executed: list[dict[str, Any]] = []
    tools = [_tool(spec, executed) for spec in request["tools"]]
    result: dict[str, Any] = {"answer": None, "error": None, "executed": executed}
    started = time.perf_counter()
    try:
        run = adapter.make_agent(tools, request["base_url"], request["model"])
        result["build_seconds"] = round(time.perf_counter() - started, 4)
        started = time.perf_counter()
        result["answer"] = run(request["task"])
    except Exception as error:  # any failure of the framework is a result
        result["error"] = f"{type(error).__name__}: {error}"[:2000]
        traceback.print_exc()
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result


def _tool(spec: dict[str, Any], executed: list[dict[str, Any]]) -> ToolDef:
    def function(**arguments: Any) -> str:
        executed.append({"name": spec["name"], "arguments": arguments})
        return TOOL_RESULT

    return ToolDef(spec["name"], spec.get("description", ""), spec["parameters"], function)


if __name__ == "__main__":
    serve(sys.argv[1])
