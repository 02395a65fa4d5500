"""Tables of a multi-step run: ``summary.json`` and ``summary.md`` from ``results.jsonl``.

python benchmarks/peers/multistep_report.py DIR
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from tasks import TASKS, is_correct


def load_rows(directory: Path) -> list[dict[str, Any]]:
    """The rows, each answer checked again by ``tasks.is_correct`` as it is now."""
    text = (directory / "results.jsonl").read_text()
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    for row in rows:
        row["correct"] = is_correct(TASKS[row["task"]], row["answer"])
    return rows


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    frameworks = list(dict.fromkeys(row["framework"] for row in rows))
    summary = []
    for framework in frameworks:
        mine = [row for row in rows if row["framework"] == framework]
        requests = [row["requests"] for row in mine]
        tokens = [row["prompt_tokens"] for row in mine]
        seconds = [float(row["seconds"] or 0) for row in mine]
        summary.append(
            {
                "framework": framework,
                "tasks": len(mine),
                "correct": sum(row["correct"] for row in mine),
                "timed_out": sum(row["timed_out"] for row in mine),
                "errors": sum(bool(row["error"]) and not row["timed_out"] for row in mine),
                "requests_total": sum(requests),
                "requests_median": statistics.median(requests),
                "requests_max": max(requests),
                "prompt_tokens_mean": round(statistics.fmean(tokens)),
                "prompt_tokens_max": max(tokens),
                "seconds_median": round(statistics.median(seconds), 2),
                "seconds_total": round(sum(seconds), 1),
            }
        )
    return summary


def markdown(summary: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    lines = [
        "| framework | correct | model requests (total / median / max) | prompt tokens per task "
        "(mean / max) | seconds per task (median) | timed out | ended with an error |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in summary:
        lines.append(
            f"| {s['framework']} | **{s['correct']} / {s['tasks']}** | {s['requests_total']} / "
            f"{s['requests_median']:g} / {s['requests_max']} | {s['prompt_tokens_mean']:,} / "
            f"{s['prompt_tokens_max']:,} | {s['seconds_median']} | {s['timed_out']} | "
            f"{s['errors']} |"
        )
    return "\n".join(lines) + "\n\n" + per_task(summary, rows)


def per_task(summary: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    """One line per task: for each framework, ✓ or ✗ and its model requests (⏱ = timed out)."""
    names = [s["framework"] for s in summary]
    cell = {(row["task"], row["framework"]): row for row in rows}
    lines = [
        "| task | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for task in sorted({row["task"] for row in rows}):
        prompt = next(row["prompt"] for row in rows if row["task"] == task)
        marks = []
        for name in names:
            row = cell.get((task, name))
            if row is None:
                marks.append("not run")
                continue
            mark = "✓" if row["correct"] else ("⏱" if row["timed_out"] else "✗")
            marks.append(f"{mark} {row['requests']}")
        lines.append(f"| {prompt} | " + " | ".join(marks) + " |")
    return "\n".join(lines) + "\n"


def write_summary(directory: Path) -> str:
    rows = load_rows(directory)
    summary = summarize(rows)
    (directory / "summary.json").write_text(json.dumps(summary, indent=1))
    text = markdown(summary, rows)
    (directory / "summary.md").write_text(text)
    return text


if __name__ == "__main__":
    print(write_summary(Path(sys.argv[1])))
