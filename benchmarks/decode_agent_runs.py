"""Agent runs under each decoding: the multi-step task set on the embedded model (issue 18's
rule: a decoding ships only if real agent runs do not get worse).

    PYTHONPATH=src python benchmarks/decode_agent_runs.py [--decode default greedy ...]

The 20 tasks of ``peers/tasks.py`` (weather and calculator tools), ``Agent("local", ...)`` with
``load_model("local", decode=D)`` for each ``D``, in one process, one after another: tasks
answered correctly, runs that ended with an answer, model calls, and seconds (median per task).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "peers")]

from autan import Agent, RunError, load_model, tool  # noqa: E402


def run_all(decode: str) -> dict[str, object]:
    from tasks import TASKS, calculator, get_weather, is_correct

    model = load_model("local", decode=decode)
    tools = [tool(get_weather), tool(calculator)]
    right = answered = calls = 0
    seconds: list[float] = []
    wrong: list[str] = []
    for task in TASKS:
        started = time.perf_counter()
        try:
            result = Agent(model, tools).run(task.prompt)
        except RunError as failure:
            result = failure.result
        seconds.append(time.perf_counter() - started)
        calls += result.model_calls
        answered += result.output is not None
        if is_correct(task, result.output):
            right += 1
        else:
            wrong.append(f"{task.prompt} -> {result.output!r}"[:120])
    return {
        "decode": decode,
        "tasks": len(TASKS),
        "correct": right,
        "answered": answered,
        "model_calls": calls,
        "median_seconds": round(statistics.median(seconds), 2),
        "wrong": wrong,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decode", nargs="+", default=["default", "greedy"])
    for decode in parser.parse_args().decode:
        print(json.dumps(run_all(decode)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
