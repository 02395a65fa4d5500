"""Journal write overhead per step: the same ScriptedModel run with and without a SQLite store.

    python benchmarks/journal_overhead.py [--runs 50] [--steps 20] [--dir DIR] [--json FILE]
                                          [--postgres postgresql://…]

A step here is one model call plus one tool call: five journaled events (model_request,
model_response, tool_call, tool_started, tool_result), each its own committed transaction.
Overhead per step = (median run time with the store - median without) / steps, measured in this
process, with ``synchronous=NORMAL`` (the default) and ``FULL``. ``--dir`` picks the file system.
``--postgres URL`` also measures a PostgreSQL store (its tables go in a new schema, dropped after).
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
from autan.store import Store, open_store
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


def measure_postgres(url: str, runs: int, steps: int, without: float) -> float:
    """Overhead per step in ms on PostgreSQL, in a schema of its own."""
    import uuid
    from urllib.parse import quote

    import psycopg

    schema = f"autan_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in url else "?"
        with open_store(f"{url}{separator}options={quote(f'-csearch_path={schema}')}") as store:
            with_store = median_run(store, runs, steps)
    finally:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {schema} CASCADE")
    return round((with_store - without) / steps * 1000, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None, help="where the journal files go")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--postgres", default=None, metavar="URL", help="also measure PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        results = measure(Path(directory), args.runs, args.steps)
    if args.postgres:
        without = results["no_store_ms_per_step"] * args.steps / 1000
        overhead = measure_postgres(args.postgres, args.runs, args.steps, without)
        results["postgres_overhead_ms_per_step"] = overhead
    results["python"] = platform.python_version()
    results["sqlite"] = __import__("sqlite3").sqlite_version
    json.dump(results, sys.stdout, indent=2)
    print()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
