"""Per-run cost of tracing: the same ScriptedModel run (two tool calls in one step, then an
answer: 4 model/tool spans and the run span) with tracing off and on, interleaved, in one process.

    python benchmarks/telemetry_overhead.py [--runs 300] [--phoenix EXE | --otlp URL] [--json F]

Modes: ``bare`` (``telemetry=False``: no check at all), ``off`` (the default with no
``OTEL_EXPORTER_OTLP_ENDPOINT``: one look at the environment), ``memory`` (the SDK's in-memory
span exporter behind a ``SimpleSpanProcessor``: the fold, the conversion and the export, all in
the run's thread), ``memory+metrics`` (the same plus both GenAI histograms into an in-memory
reader), ``otlp`` (a ``BatchSpanProcessor`` sending OTLP/HTTP to Arize Phoenix, started here on
loopback with ``--phoenix``, or to the receiver at ``--otlp``). A run's time is measured around
``Agent.run``; for ``otlp`` the background export is not in it, so the table also gives the wall
time per run of the whole mode, its final flush included.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from autan import Agent
from autan.telemetry import Telemetry
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator

SCRIPT = [[("calculator", {"expression": "6 * 7"}), ("calculator", {"expression": "2 + 2"})], "42"]


def agent(telemetry: Telemetry | bool | None) -> Callable[[], None]:
    def run() -> None:
        Agent(ScriptedModel(SCRIPT), [calculator], telemetry=telemetry).run("6 * 7 and 2 + 2?")

    return run


def modes(otlp: str | None) -> dict[str, tuple[Callable[[], None], Telemetry | None]]:
    memory = InMemorySpanExporter()
    spans = Telemetry(span_processor=SimpleSpanProcessor(memory))
    reader = InMemoryMetricReader()
    both = Telemetry(
        span_processor=SimpleSpanProcessor(InMemorySpanExporter()),
        meter_provider=MeterProvider(metric_readers=[reader]),
    )
    chosen = {
        "bare": (agent(False), None),
        "off": (agent(None), None),
        "memory": (agent(spans), spans),
        "memory+metrics": (agent(both), both),
    }
    if otlp:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        sent = Telemetry(OTLPSpanExporter(endpoint=f"{otlp}/v1/traces"))
        chosen["otlp"] = (agent(sent), sent)
    return chosen


def clear(telemetry: Telemetry | None) -> None:
    """Keep the in-memory exporters from growing through the whole benchmark."""
    processor = getattr(telemetry, "span_processor", None)
    exporter = getattr(processor, "span_exporter", None)
    if isinstance(exporter, InMemorySpanExporter):
        exporter.clear()


def measure(otlp: str | None, runs: int) -> dict[str, Any]:
    chosen = modes(otlp)
    times: dict[str, list[float]] = {name: [] for name in chosen}
    walls: dict[str, float] = dict.fromkeys(chosen, 0.0)
    for run, _ in chosen.values():
        run()  # warm up: imports, first spans
    for _ in range(runs):  # interleaved: load changes hit every mode alike
        for name, (run, telemetry) in chosen.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
            walls[name] += time.perf_counter() - started
            clear(telemetry)
    for name, (_, telemetry) in chosen.items():
        started = time.perf_counter()
        if telemetry is not None:
            telemetry.flush()
        walls[name] += time.perf_counter() - started
    return _table(times, walls, runs)


def _table(times: dict[str, list[float]], walls: dict[str, float], runs: int) -> dict[str, Any]:
    bare = statistics.median(times["bare"])
    rows = {}
    for name, seconds in times.items():
        median = statistics.median(seconds)
        rows[name] = {
            "median_ms": round(median * 1000, 4),
            "p90_ms": round(statistics.quantiles(seconds, n=10)[-1] * 1000, 4),
            "over_bare_ms": round((median - bare) * 1000, 4),
            "wall_ms_per_run": round(walls[name] / runs * 1000, 4),
        }
    return {"runs": runs, "modes": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--phoenix", help="a phoenix executable to start on loopback")
    parser.add_argument("--otlp", help="an OTLP/HTTP receiver already running (base URL)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    os.environ.pop("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", None)
    if args.phoenix:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from phoenix_server import PhoenixServer

        with (
            tempfile.TemporaryDirectory() as directory,
            PhoenixServer(args.phoenix, Path(directory)) as phoenix,
        ):
            results = measure(phoenix.url, args.runs)
    else:
        results = measure(args.otlp, args.runs)
    results["python"] = platform.python_version()
    results["load_average"] = os.getloadavg()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
