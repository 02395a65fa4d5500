"""The multi-step set, 100+ tasks (``multistep_tasks.py``), on the embedded model per decoding.

    PYTHONPATH=src python benchmarks/multistep_runs.py --decode default --half report \\
        --json ms.json [--max-seconds 360]
    PYTHONPATH=src python benchmarks/multistep_runs.py --json ms.json --summary

Each task runs in a fresh workspace holding its files, with ``Agent("local", tools)`` offered the
task's tools (``get_weather`` and ``calculator`` of ``peers/tasks.py``, the file tools of
``autan.tools.builtin``), default limits, as ``decode_agent_runs.py`` runs the 20. The ``--json``
file is rewritten after each task and resumes: rows already there (same decoding and prompt) are
skipped, and no new task starts after ``--max-seconds`` (run it again for the next chunk).
``--summary`` prints, per decoding, half and kind: correct, answered, model calls, median seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "peers")]

from tasks import calculator, get_weather  # noqa: E402

from autan import Agent, RunError, load_model, tool  # noqa: E402
from autan.tools import Tool  # noqa: E402
from autan.tools.files import Workspace, file_tools  # noqa: E402
from multistep_tasks import KINDS, MultiTask, is_correct, select  # noqa: E402


def offered(task: MultiTask, workspace: Path) -> list[Tool]:
    pool = {t.name: t for t in [tool(get_weather), tool(calculator)]}
    pool.update({t.name: t for t in file_tools(Workspace(workspace))})
    return [pool[name] for name in task.tools]


def run_task(model: Any, task: MultiTask, decode: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        workspace = Path(directory)
        for name, content in task.files.items():
            (workspace / name).write_text(content)
        started = time.perf_counter()
        error = None
        try:
            result = Agent(model, offered(task, workspace)).run(task.prompt)
        except RunError as failure:
            result, error = failure.result, type(failure).__name__
        seconds = time.perf_counter() - started
        ok = is_correct(task, result.output, workspace)
        files = {
            p.name: p.read_text(errors="replace")[:80]
            for p in sorted(workspace.iterdir())
            if p.is_file() and p.name not in task.files
        }
    calls = [
        f"{c.name}({json.dumps(c.arguments)[:60]})"
        for m in result.messages
        for c in getattr(m, "tool_calls", ())
    ]
    return {
        "decode": decode,
        "half": task.half,
        "kind": task.kind,
        "task": task.prompt,
        "correct": ok,
        "answered": result.output is not None,
        "answer": (result.output or "")[:200] if result.output is not None else None,
        "error": error,
        "model_calls": result.model_calls,
        "tool_calls": calls,
        "new_files": files,
        "seconds": round(seconds, 3),
    }


def _load(path: Path | None) -> list[dict[str, Any]]:
    if path is None or not path.exists():
        return []
    rows: list[dict[str, Any]] = json.loads(path.read_text())["rows"]
    return rows


def _row(rows: list[dict[str, Any]]) -> dict[str, object]:
    return {
        "tasks": len(rows),
        "correct": sum(bool(r["correct"]) for r in rows),
        "answered": sum(bool(r["answered"]) for r in rows),
        "model_calls": sum(int(r["model_calls"]) for r in rows),
        "median_seconds": round(statistics.median(float(r["seconds"]) for r in rows), 2),
    }


def summary(rows: list[dict[str, Any]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for decode in dict.fromkeys(r["decode"] for r in rows):
        for half in ("tuning", "report"):
            for kind in (*KINDS, "all"):
                group = [
                    r
                    for r in rows
                    if r["decode"] == decode
                    and r["half"] == half
                    and (kind == "all" or r["kind"] == kind)
                ]
                if group:
                    out.append({"decode": decode, "half": half, "kind": kind, **_row(group)})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decode", nargs="+", default=["default"])
    parser.add_argument("--half", choices=("tuning", "report", "all"), default="all")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--max-seconds", type=float, default=None)
    parser.add_argument("--summary", action="store_true", help="print the --json file's tables")
    args = parser.parse_args()
    rows = _load(args.json)
    if args.summary:
        for line in summary(rows):
            print(json.dumps(line))
        return 0
    started = time.perf_counter()
    for decode in args.decode:
        done = {r["task"] for r in rows if r["decode"] == decode}
        todo = [task for task in select(args.half) if task.prompt not in done]
        if not todo:
            continue
        model = load_model("local", decode=decode)
        for task in todo:
            if args.max_seconds is not None and time.perf_counter() - started > args.max_seconds:
                print("stopped at --max-seconds; run again to resume", file=sys.stderr)
                return 0
            row = run_task(model, task, decode)
            rows.append(row)
            if args.json:
                args.json.write_text(json.dumps({"rows": rows}, indent=1))
            mark = "ok " if row["correct"] else "BAD"
            print(
                f"{mark} {decode} {task.half} {task.kind} calls={row['model_calls']} "
                f"{row['seconds']:>6}s {task.prompt!r} -> {row['answer']!r}",
                file=sys.stderr,
                flush=True,
            )
    for line in summary(rows):
        print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
