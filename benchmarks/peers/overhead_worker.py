"""Overhead of one framework, measured inside that framework's interpreter.

    PYTHON overhead_worker.py FRAMEWORK build
    PYTHON overhead_worker.py FRAMEWORK measure RUNS OUT_JSON

``build`` imports the framework's adapter and builds one agent with the two task tools (the
caller times the whole process). ``measure`` writes to OUT_JSON: the per-run time against an
instant server on loopback (``instant_server``: one ``add`` call, then the answer) next to a bare
``http.client`` loop, interleaved in the same process; the memory that 1,000 built agents hold
(tracemalloc); and the first request the agent sends for the weather task, as bytes.
"""

from __future__ import annotations

import contextlib
import gc
import http.client
import json
import os
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

from frameworks import load_make_agent, tool_defs
from instant_server import ADD_SCHEMA, InstantServer, add, bare_run
from tasks import TASKS, TOOLS, ToolInfo

ADD = ToolInfo("add", "Add two integers.", ADD_SCHEMA, add)
WARM_UP_RUNS = 5


def is_probe(body: dict[str, Any]) -> bool:
    """autan's one-time request asking the server whether it does native tool calls."""
    return [t.get("function", {}).get("name") for t in body.get("tools") or []] == ["ping"]


def per_run(make_agent: Any, runs: int) -> dict[str, Any]:
    server = InstantServer()
    run = make_agent(tool_defs([ADD]), server.base_url, "m")
    host, port = server.base_url.split("//")[1].split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port))
    answers = {run("add 2 and 3") for _ in range(WARM_UP_RUNS)}
    framework, bare = [], []
    for _ in range(runs):
        started = time.perf_counter()
        run("add 2 and 3")
        framework.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare_run(connection)
        bare.append(time.perf_counter() - started)
    served = [body for body in server.requests if not is_probe(body)]
    requests_per_run = (len(served) - 2 * runs) / (runs + WARM_UP_RUNS)
    server.close()
    return {
        "runs": runs,
        "answers": sorted(str(a) for a in answers),
        "requests_per_run": round(requests_per_run, 2),
        "median_ms": round(statistics.median(framework) * 1000, 3),
        "bare_median_ms": round(statistics.median(bare) * 1000, 3),
    }


def memory_per_thousand(make_agent: Any) -> dict[str, Any]:
    tools = tool_defs([ADD])
    make_agent(tools, "http://127.0.0.1:9/v1", "m")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    agents = [make_agent(tools, "http://127.0.0.1:9/v1", "m") for _ in range(1000)]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    del agents
    return {"kib_per_1000_agents": round(grown / 1024, 1)}


def first_request(make_agent: Any) -> dict[str, Any]:
    """The first request of the weather task. The canned replies do not fit this task, so the
    run goes on in the background; the worker exits as soon as the request is in."""
    server = InstantServer()
    run = make_agent(tool_defs(TOOLS), server.base_url, "m")
    threading.Thread(target=lambda: _quietly(run, TASKS[0].prompt), daemon=True).start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        sent = [body for body in list(server.requests) if not is_probe(body)]
        if sent:
            return {
                "first_request": sent[0],
                "first_request_bytes": len(json.dumps(sent[0]).encode()),
            }
        time.sleep(0.01)
    raise TimeoutError("the agent sent no request in 120 s")


def _quietly(run: Any, task: str) -> None:
    with contextlib.suppress(Exception):
        run(task)


def main(arguments: list[str]) -> int:
    framework, mode = arguments[:2]
    make_agent = load_make_agent(framework)
    if mode == "build":
        make_agent(tool_defs(TOOLS), "http://127.0.0.1:9/v1", "m")
        return 0
    runs, out = int(arguments[2]), arguments[3]
    report = {
        "per_run": per_run(make_agent, runs) if runs else None,
        "memory": memory_per_thousand(make_agent) if runs else None,
    }
    report["first"] = first_request(make_agent)  # last: its run may go on in the background
    Path(out).write_text(json.dumps(report))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
