"""How often does a run end with a correct answer, and in how many model calls?

    python benchmarks/finishing.py [--model local] [--decode D] [--actions tools|code]
        [--json out.json]

Runs every task of ``one_tool_tasks.TASKS`` on the given model with the built-in tools, each in a
fresh workspace, and prints one line per task and a summary.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from autan import Agent, Limits, RunError, load_model
from autan.tools.builtin import builtin_tools
from one_tool_tasks import TASKS, Task


def solved(task: Task, answer: str | None, workspace: Path) -> bool:
    if task.written is not None:
        name, content = task.written
        target = workspace / name
        return target.is_file() and target.read_text().strip() == content
    if answer is None:
        return False
    return re.search(rf"(?<![\w.]){re.escape(task.expected)}(?![\w]|\.\d)", answer) is not None


def run_task(
    model: object, task: Task, max_steps: int, actions: str = "tools"
) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        workspace = Path(directory)
        for name, content in task.files.items():
            (workspace / name).write_text(content)
        limits = Limits(max_steps=max_steps)
        agent = Agent(model, tools=builtin_tools(workspace), limits=limits, actions=actions)  # type: ignore[arg-type]
        started = time.perf_counter()
        try:
            result = agent.run(task.prompt)
            error = None
        except RunError as failure:
            result, error = failure.result, type(failure).__name__
        ok = solved(task, result.output, workspace)
    usage = result.step_usage()
    return {
        "task": task.prompt,
        "answer": result.output,
        "correct": ok,
        "exact": ok and task.written is None and (result.output or "").strip() == task.expected,
        "error": error,
        "model_calls": result.model_calls,
        "prompt_tokens": [u.prompt_tokens for u in usage],
        "cached_tokens": [u.cached_tokens for u in usage],
        "seconds": round(time.perf_counter() - started, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="local")
    parser.add_argument("--max-steps", type=int, default=10)
    parser.add_argument("--actions", choices=("tools", "code"), default="tools")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--decode", help="the embedded backend's decoding (load_model's decode)")
    args = parser.parse_args()
    model = load_model(args.model, decode=args.decode) if args.decode else load_model(args.model)
    rows = []
    for task in TASKS:
        row = run_task(model, task, args.max_steps, args.actions)
        rows.append(row)
        mark = "ok " if row["correct"] else "BAD"
        print(
            f"{mark} calls={row['model_calls']} {row['seconds']:>5}s "
            f"{task.prompt!r} -> {row['answer']!r}",
            file=sys.stderr,
        )
    correct = sum(bool(r["correct"]) for r in rows)
    calls = [int(r["model_calls"]) for r in rows]  # type: ignore[call-overload]
    summary = {
        "model": args.model,
        "decode": args.decode,
        "tasks": len(rows),
        "correct": correct,
        "exact_answers": sum(bool(r["exact"]) for r in rows),
        "median_model_calls": statistics.median(calls),
        "mean_model_calls": round(statistics.fmean(calls), 2),
        "median_seconds": statistics.median(float(r["seconds"]) for r in rows),  # type: ignore[arg-type]
    }
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
