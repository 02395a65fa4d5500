"""Load on ``autan serve``, bounded, on loopback, with ScriptedModel agents (no model cost):

1. ``--followers`` SSE clients (default 200) on one run of ``--steps`` steps, each step a tool
   call that sleeps ``--tool-seconds``: every client must get every event once, in order.
2. ``--rate`` runs created per second (default 50) for ``--seconds`` (default 10): errors and
   the latency of ``POST /v1/runs`` (p50, p99), then how long the pool takes to finish them.

The server is a separate process (``--serve``); its memory (VmRSS now, VmHWM peak, from
/proc) is read before and after. Prints one JSON object; see BENCHMARKS.md.

    python benchmarks/serve_load.py [--followers 200] [--rate 50] [--seconds 10] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from autan import Agent, Limits, tool
from autan.serve import Offered, RunSpec, ServeOptions, create_app
from autan.store import Store, open_store
from autan.testing import ScriptedModel


class BenchAgents:
    """A task ``follow N`` gets N sleeping tool steps; any other task answers at once."""

    def __init__(self, tool_seconds: float) -> None:
        @tool(idempotent=True)
        def pause(step: int) -> str:
            """Sleep a moment."""
            time.sleep(tool_seconds)
            return f"slept {step}"

        self.tool = pause

    def offered(self) -> Offered:
        return Offered(("pause",))

    def new(self, spec: RunSpec, store: Store) -> Agent:
        steps = int(spec.task.split()[1]) if spec.task.startswith("follow ") else 0
        script: list[Any] = [("pause", {"step": n}) for n in range(steps)] + ["done"]
        model = ScriptedModel(script, by_step=True)
        return Agent(model, [self.tool], limits=Limits(max_steps=steps + 1), store=store)

    def existing(self, run_id: str, config: Mapping[str, Any], store: Store) -> Agent:
        return self.new(RunSpec(str(config["task"])), store)


def serve(journal: str, workers: int, tool_seconds: float) -> None:
    import uvicorn

    app = create_app(open_store(journal), BenchAgents(tool_seconds), ServeOptions(workers=workers))
    listening = socket.create_server(("127.0.0.1", 0), backlog=4096)
    print(listening.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False)).run(
        sockets=[listening]
    )


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid``, in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


async def follow(client: httpx.AsyncClient, run_id: str) -> list[int]:
    ids: list[int] = []
    async with client.stream("GET", f"/v1/runs/{run_id}/events") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("id:"):
                ids.append(int(line[3:]))
    return ids


async def followers(base: str, count: int, steps: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=count + 10)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        run_id = (await client.post("/v1/runs", json={"task": f"follow {steps}"})).json()["id"]
        started = time.perf_counter()
        results = await asyncio.gather(
            *(follow(client, run_id) for _ in range(count)), return_exceptions=True
        )
        seconds = time.perf_counter() - started
        journal = (await client.get(f"/v1/runs/{run_id}")).json()["events"]
    complete = [r for r in results if isinstance(r, list) and r == list(range(journal))]
    return {
        "followers": count,
        "run_events": journal,
        "followers_with_every_event_once": len(complete),
        "errors": sum(isinstance(r, BaseException) for r in results),
        "seconds_to_the_end": round(seconds, 2),
    }


async def creations(base: str, rate: float, seconds: float) -> dict[str, Any]:
    total = int(rate * seconds)
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        origin = time.perf_counter()

        async def create(n: int) -> tuple[float, str | None]:
            await asyncio.sleep(max(0.0, origin + n / rate - time.perf_counter()))
            sent = time.perf_counter()
            try:
                answer = await client.post("/v1/runs", json={"task": f"task {n}"})
            except httpx.HTTPError as error:
                return time.perf_counter() - sent, type(error).__name__
            ok = answer.status_code == 201
            return time.perf_counter() - sent, None if ok else str(answer.status_code)

        results = await asyncio.gather(*(create(n) for n in range(total)))
        sent_for = time.perf_counter() - origin
        drained = await _drain(client)
        completed = await _count(client, "completed")
    latencies = sorted(ms * 1000 for ms, _ in results)
    return {
        "runs": total,
        "errors": sum(error is not None for _, error in results),
        "post_p50_ms": round(statistics.median(latencies), 1),
        "post_p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1),
        "post_max_ms": round(latencies[-1], 1),
        "seconds_to_send": round(sent_for, 2),
        "seconds_after_sending_until_none_queued_or_running": drained,
        "completed": completed,
    }


async def _drain(client: httpx.AsyncClient) -> float | None:
    """Seconds until no run is queued or running (None: not within 300 s)."""
    started = time.perf_counter()
    while time.perf_counter() - started < 300:
        busy = 0
        for status in ("queued", "running"):
            page = await client.get("/v1/runs", params={"status": status, "limit": 200})
            busy += len(page.json()["runs"])
        if not busy:
            return round(time.perf_counter() - started, 2)
        await asyncio.sleep(0.5)
    return None


async def _count(client: httpx.AsyncClient, status: str) -> int:
    count, offset = 0, 0
    while offset is not None:
        params = {"status": status, "limit": 200, "offset": offset}
        page = (await client.get("/v1/runs", params=params)).json()
        count += len(page["runs"])
        offset = page["next_offset"]
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", metavar="JOURNAL", help=argparse.SUPPRESS)
    parser.add_argument("--followers", type=int, default=200)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--tool-seconds", type=float, default=0.05)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.workers, args.tool_seconds)
        return
    with tempfile.TemporaryDirectory() as scratch:
        print(json.dumps(measure(args, Path(scratch) / "journal.sqlite3"), indent=2))


def measure(args: argparse.Namespace, journal: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--serve", str(journal), "--workers", str(args.workers)]
    command += ["--tool-seconds", str(args.tool_seconds)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert server.stdout is not None
        base = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        time.sleep(0.5)
        report: dict[str, Any] = {"workers": args.workers, "memory_kib_start": memory(server.pid)}
        report["sse"] = asyncio.run(followers(base, args.followers, args.steps))
        report["memory_kib_after_sse"] = memory(server.pid)
        report["create"] = asyncio.run(creations(base, args.rate, args.seconds))
        report["memory_kib_end"] = memory(server.pid)
        return report
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
