"""Everyday tasks through autan, and the bare model in plain chat on the no-tool ones.

    python benchmarks/everyday.py [--model local] [--decode NAMES] [--half all|tuning|report]
        [--kind KIND ...] [--limit N] [--json out.json]

With ``--json``, rows already in the file are kept and their tasks skipped, and the file is
rewritten after every task: run a long set in chunks (``--limit``) and resume it.

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
    # a whole word or number: "5" is not in "0.5" nor in "5.5"
    return any(
        re.search(rf"(?<![\w.]){re.escape(word)}(?![\w]|[.,]\d)", text, re.IGNORECASE)
        for word in task.accept
    )


def run_autan(model: Any, task: Everyday) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        workspace = Path(directory)
        for name, content in task.files.items():
            (workspace / name).write_text(content)
        agent = Agent(model, tools=builtin_tools(workspace), limits=Limits(max_steps=10))
        started = time.perf_counter()
        error = None
        try:
            result = agent.run(task.prompt)
        except RunError as failure:
            result, error = failure.result, f"{type(failure).__name__}: {failure}"
        seconds = time.perf_counter() - started
        ok = correct(task, result.output, workspace)
    calls = [f"{c.name}({c.arguments})" for m in result.messages for c in m.tool_calls]
    return {
        "answer": result.output,
        "correct": ok,
        "steps": result.model_calls,
        "seconds": seconds,
        "calls": calls,
        "error": error,
    }


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
        "mean_steps": _mean([r["autan"]["steps"] for r in mine]),
        "mean_seconds": _mean([r["autan"]["seconds"] for r in mine]),
        "bare_mean_seconds": _mean([b["seconds"] for b in bare]),
    }


def _mean(values: list[Any]) -> float:
    return round(statistics.fmean(values), 2) if values else 0.0


def main() -> int:
    args = _arguments()
    extra = {} if args.decode is None else {"decode": args.decode}
    model = load_model(args.model, **extra)
    bare = None if args.no_bare else bare_llama(model)
    rows = _done(args.json)
    done = {row["task"] for row in rows}
    for task in _chosen(args):
        if task.prompt in done:
            continue
        rows.append(_row(model, bare, task))
        if args.json:  # after each task: a chunk stopped part-way resumes where it was
            args.json.write_text(json.dumps({"rows": rows}, indent=1))
    summaries = [summary(rows, half) for half in ("tuning", "report", "all")]
    for line in summaries:
        print(json.dumps(line))
    if args.json:
        args.json.write_text(json.dumps({"summaries": summaries, "rows": rows}, indent=1))
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="local")
    parser.add_argument("--decode", default=None, help="decoding strategies (autan run --decode)")
    parser.add_argument("--half", default="all", choices=["all", "tuning", "report"])
    parser.add_argument("--kind", action="append", help="only tasks of this kind (repeatable)")
    parser.add_argument("--limit", type=int, help="at most this many new tasks (one chunk)")
    parser.add_argument("--no-bare", action="store_true", help="skip the plain-chat baseline")
    parser.add_argument("--json", type=Path, help="rows so far: read (resume), then rewritten")
    return parser.parse_args()


def _chosen(args: argparse.Namespace) -> list[Everyday]:
    tasks = [t for t in TASKS if args.half == "all" or t.half == args.half]
    tasks = [t for t in tasks if not args.kind or t.kind in args.kind]
    done = {row["task"] for row in _done(args.json)}
    fresh = [t for t in tasks if t.prompt not in done]
    return fresh[: args.limit] if args.limit is not None else fresh


def _done(path: Path | None) -> list[dict[str, Any]]:
    if path is None or not path.is_file():
        return []
    rows: list[dict[str, Any]] = json.loads(path.read_text())["rows"]
    return rows


def _row(model: Any, bare: Any, task: Everyday) -> dict[str, Any]:
    row: dict[str, Any] = {"task": task.prompt, "kind": task.kind, "half": task.half}
    row["needs_tool"] = task.needs_tool
    row["autan"] = run_autan(model, task)
    if bare is not None and not task.needs_tool:
        row["bare"] = run_bare(bare, task)
    mark = "ok " if row["autan"]["correct"] else "BAD"
    base = "" if "bare" not in row else (" bare=ok" if row["bare"]["correct"] else " bare=BAD")
    print(
        f"{mark} {task.half[:3]} steps={row['autan']['steps']} "
        f"{row['autan']['seconds']:5.2f}s{base} {task.prompt!r} -> {row['autan']['answer']!r}",
        file=sys.stderr,
    )
    return row


if __name__ == "__main__":
    raise SystemExit(main())
