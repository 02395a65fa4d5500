"""Everyday tasks through autan, and the bare model in plain chat on the no-tool ones.

    python benchmarks/everyday.py [--model local] [--decode NAMES] [--half all|tuning|report]
        [--json out.json]

Each task runs as ``autan run`` runs it: the built-in tools on a fresh workspace, default
instructions and ``max_steps=10``, greedy sampling; ``--decode`` as ``autan run`` takes it (none:
the default decoding, as main). The no-tool questions also go to the same
GGUF in plain chat (its own chat template, no system prompt, no grammar, 128 tokens at most):
the baseline autan must not fall below. Prints one line per task and a summary per half.
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
from typing import Any

from autan import Agent, Limits, RunError, load_model
from autan.tools.builtin import builtin_tools
from everyday_tasks import TASKS, Everyday


def correct(task: Everyday, answer: str | None, workspace: Path | None) -> bool:
    if task.written is not None:
        name, content = task.written
        target = (workspace or Path("/nonexistent")) / name
        return target.is_file() and target.read_text().strip() == content
    text = answer or ""
    return any(
        re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text, re.IGNORECASE)
        for word in task.accept
    )


def run_autan(model: Any, task: Everyday) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        workspace = Path(directory)
        for name, content in task.files.items():
            (workspace / name).write_text(content)
        agent = Agent(model, tools=builtin_tools(workspace), limits=Limits(max_steps=10))
        started = time.perf_counter()
        try:
            result = agent.run(task.prompt)
        except RunError as failure:
            result = failure.result
        seconds = time.perf_counter() - started
        ok = correct(task, result.output, workspace)
    return {"answer": result.output, "correct": ok, "steps": result.model_calls, "seconds": seconds}


def run_bare(llama: Any, task: Everyday) -> dict[str, object]:
    started = time.perf_counter()
    reply = llama.create_chat_completion(
        messages=[{"role": "user", "content": task.prompt}], temperature=0.0, max_tokens=128
    )
    answer = reply["choices"][0]["message"]["content"] or ""
    seconds = time.perf_counter() - started
    return {"answer": answer, "correct": correct(task, answer, None), "seconds": seconds}


def bare_llama(model: Any) -> Any:
    from llama_cpp import Llama

    return Llama(model_path=str(model.path), n_ctx=2048, n_threads=2, seed=0, verbose=False)


def summary(rows: list[dict[str, Any]], half: str) -> dict[str, object]:
    mine = [row for row in rows if half == "all" or row["half"] == half]
    plain = [row for row in mine if not row["needs_tool"]]
    bare = [row["bare"] for row in plain if "bare" in row]
    return {
        "half": half,
        "tasks": len(mine),
        "correct": sum(bool(r["autan"]["correct"]) for r in mine),
        "no_tool": len(plain),
        "no_tool_correct": sum(bool(r["autan"]["correct"]) for r in plain),
        "bare_no_tool_correct": sum(bool(b["correct"]) for b in bare),
        "mean_steps": round(statistics.fmean(r["autan"]["steps"] for r in mine), 2),
        "mean_seconds": round(statistics.fmean(r["autan"]["seconds"] for r in mine), 2),
        "bare_mean_seconds": round(statistics.fmean(b["seconds"] for b in bare), 2) if bare else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="local")
    parser.add_argument("--decode", default=None, help="decoding strategies (autan run --decode)")
    parser.add_argument("--half", default="all", choices=["all", "tuning", "report"])
    parser.add_argument("--no-bare", action="store_true", help="skip the plain-chat baseline")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    extra = {} if args.decode is None else {"decode": args.decode}
    model = load_model(args.model, **extra)
    bare = None if args.no_bare else bare_llama(model)
    rows = []
    for task in TASKS:
        if args.half != "all" and task.half != args.half:
            continue
        row: dict[str, Any] = {"task": task.prompt, "kind": task.kind, "half": task.half}
        row["needs_tool"] = task.needs_tool
        row["autan"] = run_autan(model, task)
        if bare is not None and not task.needs_tool:
            row["bare"] = run_bare(bare, task)
        rows.append(row)
        mark = "ok " if row["autan"]["correct"] else "BAD"
        base = "" if "bare" not in row else (" bare=ok" if row["bare"]["correct"] else " bare=BAD")
        print(
            f"{mark} {task.half[:3]} steps={row['autan']['steps']} "
            f"{row['autan']['seconds']:5.2f}s{base} {task.prompt!r} -> {row['autan']['answer']!r}",
            file=sys.stderr,
        )
    summaries = [summary(rows, half) for half in ("tuning", "report", "all")]
    for line in summaries:
        print(json.dumps(line))
    if args.json:
        args.json.write_text(json.dumps({"summaries": summaries, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
