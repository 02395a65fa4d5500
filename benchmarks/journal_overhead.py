"""Journal write overhead per step: the same ScriptedModel run with and without a SQLite store.

    python benchmarks/journal_overhead.py [--runs 50] [--steps 20] [--dir DIR] [--json FILE]

A step here is one model call plus one tool call: five journaled events (model_request,
model_response, tool_call, tool_started, tool_result), each its own committed transaction.
Overhead per step = (median run time with the store - median without) / steps, measured in this
process, with ``synchronous=NORMAL`` (the default) and ``FULL``. ``--dir`` picks the file system.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from autan import Agent, Limits, SQLiteStore, tool
from autan.store import Store
from autan.testing import ScriptedModel


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def run_seconds(store: Store | None, steps: int) -> float:
    script = [("add", {"a": n, "b": 1}) for n in range(steps)] + ["done"]
    model = ScriptedModel(script)  # a script of distinct calls: every step runs the tool
    agent = Agent(model, tools=[add], limits=Limits(max_steps=steps + 1), store=store)
    started = time.perf_counter()
    agent.run("add")
    return time.perf_counter() - started


def median_run(store: Store | None, runs: int, steps: int) -> float:
    run_seconds(store, steps)  # warm up
    return statistics.median(run_seconds(store, steps) for _ in range(runs))


def measure(directory: Path, runs: int, steps: int) -> dict[str, Any]:
    without = median_run(None, runs, steps)
    results: dict[str, Any] = {"runs": runs, "steps_per_run": steps}
    results["no_store_ms_per_step"] = round(without / steps * 1000, 4)
    for mode in ("NORMAL", "FULL"):
        with SQLiteStore(directory / f"{mode}.sqlite3", synchronous=mode) as store:
            with_store = median_run(store, runs, steps)
        overhead = (with_store - without) / steps * 1000
        results[f"sqlite_{mode.lower()}_overhead_ms_per_step"] = round(overhead, 4)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None, help="where the journal files go")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        results = measure(Path(directory), args.runs, args.steps)
    results["python"] = platform.python_version()
    results["sqlite"] = __import__("sqlite3").sqlite_version
    json.dump(results, sys.stdout, indent=2)
    print()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
