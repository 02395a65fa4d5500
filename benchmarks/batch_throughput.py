"""Batches: tasks per minute by worker count, Ray's per-task cost, and a server under 100 runs.

    PYTHONPATH=src python benchmarks/batch_throughput.py [--tasks 20] [--repeat 1] [--skip-ray]
        [--only throughput|overhead|crowd] [--configs 1,2,ray]

1. The multi-step task set (``peers/tasks.py``: 20 tasks, weather and calculator tools) on the
   embedded SmolLM2-135M, ``repeat`` times over: 1 local worker process, 2 local workers, and
   Ray with 2 CPUs (2 actors). Each worker loads the model once; the time includes the start.
2. Ray's per-task overhead: 200 tasks of an instant ScriptedModel agent on 1 actor, against the
   same on 1 local worker process (per task, from the first result to the last).
3. 100 runs at once (threads) against one loopback server that answers 4 requests at a time
   (like a llama.cpp server with 4 slots: 50 ms each) and refuses requests beyond 16 waiting
   (HTTP 503, as a server with a bounded queue does): without a bound on requests in flight, and
   with ``max_in_flight=4``. Runs that failed, p99 of a run's seconds, the most requests the
   server held.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "peers")]

from autan import Agent, Store, batch, load_model, tool  # noqa: E402
from autan.testing import ScriptedModel  # noqa: E402


class TaskSetAgent:
    """The embedded model with the task set's two tools."""

    def __call__(self, store: Store) -> Agent:
        from tasks import calculator, get_weather

        return Agent("local", [tool(get_weather), tool(calculator)], store=store)


class InstantAgent:
    def __call__(self, store: Store) -> Agent:
        return Agent(ScriptedModel(["done"], by_step=True), store=store)


class ServerAgent:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, store: Store) -> Agent:
        return Agent(load_model(f"openai:m@{self.url}", tool_protocol="native"), store=store)


def timed_batch(tasks: list[str], **options: Any) -> tuple[float, Any, Path]:
    out = Path(tempfile.mkdtemp(prefix="autan-batch-bench-"))
    started = time.perf_counter()
    summary = batch(tasks, out, **options)
    return time.perf_counter() - started, summary, out


def correct(out: Path, prompts: list[str]) -> int:
    from tasks import TASKS, is_correct

    by_prompt = {t.prompt: t for t in TASKS}
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    return sum(is_correct(by_prompt[prompts[int(x["id"][5:]) - 1]], x["answer"]) for x in lines)


CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "1": ("local, 1 worker", {"workers": 1}),
    "2": ("local, 2 workers", {"workers": 2}),
    "ray": ("Ray, 2 CPUs (2 actors)", {"workers": 2, "ray": "auto"}),
}


def throughput(repeat: int, count: int, configs: list[str]) -> list[dict[str, Any]]:
    from tasks import TASKS

    prompts = [t.prompt for t in TASKS[:count]] * repeat
    rows = []
    for name, options in (CONFIGS[c] for c in configs):
        seconds, summary, out = timed_batch(prompts, agent=TaskSetAgent(), **options)
        rows.append(
            {
                "config": name,
                "tasks": len(prompts),
                "seconds": round(seconds, 1),
                "tasks_per_minute": round(60 * len(prompts) / seconds, 1),
                "completed": summary.completed,
                "correct": correct(out, prompts),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def per_task_overhead(skip_ray: bool) -> dict[str, float]:
    """Milliseconds per task between the first result and the last: the start is left out."""
    tasks = [f"t{n}" for n in range(200)]
    found = {}
    configs = [("local process", {})] + ([] if skip_ray else [("Ray actor", {"ray": "auto"})])
    for name, options in configs:
        stamps: list[float] = []
        stamp = stamps.append
        timed_batch(
            tasks,
            agent=InstantAgent(),
            workers=1,
            on_result=lambda _, s=stamp: s(time.perf_counter()),
            **options,
        )
        found[name] = round(1000 * (stamps[-1] - stamps[0]) / (len(stamps) - 1), 2)
    found["no batch: Agent.run in a loop"] = plain_runs(len(tasks))
    print(json.dumps({"ms_per_task": found}), flush=True)
    return found


def plain_runs(count: int) -> float:
    """The same runs, one after another in this process, journaled to a SQLite file."""
    from autan import SQLiteStore

    with SQLiteStore(Path(tempfile.mkdtemp()) / "journal.sqlite3") as store:
        agent = InstantAgent()(store)
        started = time.perf_counter()
        for n in range(count):
            agent.run(f"t{n}")
        return round(1000 * (time.perf_counter() - started) / count, 2)


class SlottedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, slots: int, queue: int, service: float) -> None:
        super().__init__(("127.0.0.1", 0), _SlottedHandler)
        self.slots = threading.Semaphore(slots)
        self.queue, self.service = queue, service
        self.lock = threading.Lock()
        self.held = self.most_held = self.refused = 0


class _SlottedHandler(BaseHTTPRequestHandler):
    server: SlottedServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = self.server
        with server.lock:
            full = server.held >= server.queue
            server.held += not full
            server.most_held = max(server.most_held, server.held)
            server.refused += full
        if full:
            return self._send(503, {"error": {"message": "server busy"}})
        try:
            with server.slots:
                time.sleep(server.service)
        finally:
            with server.lock:
                server.held -= 1
        message = {"role": "assistant", "content": "ok"}
        usage = {"prompt_tokens": 10, "completion_tokens": 1}
        self._send(
            200, {"choices": [{"message": message, "finish_reason": "stop"}], "usage": usage}
        )

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def crowd(limit: int | None) -> dict[str, Any]:
    server = SlottedServer(slots=4, queue=16, service=0.05)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/v1"
    seconds, _, out = timed_batch(
        [f"q{n}" for n in range(100)],
        agent=ServerAgent(str(url)),
        threads=100,
        max_in_flight=limit or 100,
    )
    server.shutdown()
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    runs = sorted(float(x["seconds"]) for x in lines)
    row = {
        "max_in_flight": limit or "none",
        "runs": len(lines),
        "failed": sum(x["status"] != "completed" for x in lines),
        "p50_run_s": round(statistics.median(runs), 2),
        "p99_run_s": round(runs[min(len(runs) - 1, int(0.99 * len(runs)))], 2),
        "wall_s": round(seconds, 2),
        "server_most_held": server.most_held,
        "server_refused_503": server.refused,
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tasks", type=int, default=20, help="the first N of the task set")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument(
        "--configs", default="1,2,ray", help="the throughput configurations: 1, 2, ray"
    )
    parser.add_argument("--only", choices=("throughput", "overhead", "crowd"), default=None)
    args = parser.parse_args()
    paths = [str(HERE.parent / "src"), str(HERE), str(HERE / "peers")]
    os.environ["PYTHONPATH"] = os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])
    if args.only in (None, "crowd"):
        crowd(None)
        crowd(4)
    if args.only in (None, "overhead"):
        per_task_overhead(args.skip_ray)
    if args.only in (None, "throughput"):
        configs = [c for c in args.configs.split(",") if not (args.skip_ray and c == "ray")]
        throughput(args.repeat, args.tasks, configs)


if __name__ == "__main__":
    main()
