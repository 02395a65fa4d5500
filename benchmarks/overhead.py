"""Framework overhead: import time, per-run cost, memory per agent, embedded model per step.

    python benchmarks/overhead.py [--runs 2000] [--json results.json]

Every number is a median over repeated measurements taken in this run; the import time is
reported next to a bare-interpreter baseline measured the same way.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any

from autan import Agent, tool
from autan.testing import ScriptedModel


def fresh_process_seconds(code: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append(time.perf_counter() - started)
    return samples


def import_time(repeat: int) -> dict[str, Any]:
    baseline = fresh_process_seconds("pass", repeat)
    with_autan = fresh_process_seconds("import autan", repeat)
    check = "import sys, autan; print('llama_cpp' in sys.modules, 'pydantic' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True).stdout
    return {
        "interpreter_ms": round(statistics.median(baseline) * 1000, 1),
        "interpreter_plus_import_autan_ms": round(statistics.median(with_autan) * 1000, 1),
        "import_autan_ms": round(
            (statistics.median(with_autan) - statistics.median(baseline)) * 1000, 1
        ),
        "llama_cpp_loaded, pydantic_loaded": loaded.strip(),
    }


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def per_run_overhead(runs: int) -> dict[str, Any]:
    script = [("add", {"a": 2, "b": 3}), "5"]
    samples = []
    for _ in range(runs):
        agent = Agent(ScriptedModel(script), tools=[add])
        started = time.perf_counter()
        agent.run("add 2 and 3")
        samples.append(time.perf_counter() - started)
    samples.sort()
    return {
        "runs": runs,
        "median_ms": round(statistics.median(samples) * 1000, 4),
        "p90_ms": round(samples[int(0.9 * len(samples))] * 1000, 4),
    }


def memory_per_thousand_agents() -> dict[str, Any]:
    model = ScriptedModel(["done"])
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    agents = [Agent(model, tools=[add]) for _ in range(1000)]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    del agents
    return {"bytes_per_1000_agents": grown, "kib_per_1000_agents": round(grown / 1024, 1)}


def embedded_readme_task(repeat: int) -> dict[str, Any]:
    from autan import load_model
    from autan.tools.builtin import builtin_tools

    model = load_model("local")
    started = time.perf_counter()
    model._load()  # type: ignore[attr-defined]
    load_seconds = time.perf_counter() - started
    runs = []
    with tempfile.TemporaryDirectory() as workspace:
        for _ in range(repeat):
            agent = Agent(model, tools=builtin_tools(workspace))
            result = agent.run("What is 37 * 91?")
            runs.append(result)
    first, steps = runs[0].step_usage(), runs[-1].step_usage()
    return {
        "first_run_prompt_tokens_per_step": [u.prompt_tokens for u in first],
        "first_run_cached_tokens_per_step": [u.cached_tokens for u in first],
        "model_load_s": round(load_seconds, 3),
        "answers": sorted({r.output or "" for r in runs}),
        "median_run_s": round(statistics.median(r.seconds for r in runs), 3),
        "model_calls": runs[-1].model_calls,
        "later_run_prompt_tokens_per_step": [u.prompt_tokens for u in steps],
        "later_run_cached_tokens_per_step": [u.cached_tokens for u in steps],
        "later_run_evaluated_tokens_per_step": [u.prompt_tokens - u.cached_tokens for u in steps],
        "completion_tokens_per_step": [u.completion_tokens for u in steps],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--imports", type=int, default=10)
    parser.add_argument("--embedded", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    report = {
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}",
        "import": import_time(args.imports),
        "scripted_run_overhead": per_run_overhead(args.runs),
        "memory": memory_per_thousand_agents(),
        "embedded_readme_task": embedded_readme_task(args.embedded),
    }
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
