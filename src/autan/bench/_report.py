"""``summary.json`` and ``summary.md``: accuracy, invalid calls, tokens and time per category.

The invalid-call rate (BFCL records, which have ``valid``) is the share of entries where at
least one emitted call broke its tool's schema (or named no offered tool).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ALL = "all"


def summarise(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Category (and ``all``) → totals and means, categories in first-seen order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["category"], []).append(record)
    table = {category: _stats(group) for category, group in groups.items()}
    if records:
        table[ALL] = _stats(records)
    return table


def _stats(records: list[dict[str, Any]]) -> dict[str, float]:
    count = len(records)

    def mean(key: str) -> float:
        return sum(float(record[key]) for record in records) / count

    stats = {
        "entries": count,
        "passed": sum(bool(record["passed"]) for record in records),
        "accuracy": round(sum(bool(r["passed"]) for r in records) / count, 4),
        "mean_prompt_tokens": round(mean("prompt_tokens"), 1),
        "mean_completion_tokens": round(mean("completion_tokens"), 1),
        "mean_model_calls": round(mean("model_calls"), 2),
        "mean_seconds": round(mean("seconds"), 3),
    }
    if all("valid" in record for record in records):
        stats["invalid_call_rate"] = round(sum(not r["valid"] for r in records) / count, 4)
    return stats


def markdown_table(table: dict[str, dict[str, float]]) -> str:
    invalid = all("invalid_call_rate" in s for s in table.values())
    head = "| category | entries | accuracy |" + (" invalid-call rate |" if invalid else "")
    lines = [
        head + " mean prompt tokens | mean completion tokens | mean model calls | mean seconds |",
        "| --- " * (7 + invalid) + "|",
    ]
    for category, s in table.items():
        name = f"**{category}**" if category == ALL else category
        rate = f" {s['invalid_call_rate']:.1%} |" if invalid else ""
        lines.append(
            f"| {name} | {s['entries']:.0f} | {s['accuracy']:.1%} ({s['passed']:.0f}) |{rate}"
            f" {s['mean_prompt_tokens']:.0f} | {s['mean_completion_tokens']:.0f}"
            f" | {s['mean_model_calls']:.2f} | {s['mean_seconds']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def write_summary(out: Path, table: dict[str, dict[str, float]], about: dict[str, Any]) -> str:
    """Write ``summary.json`` and ``summary.md``; returns the markdown."""
    (out / "summary.json").write_text(
        json.dumps({**about, "categories": table}, indent=2) + "\n", encoding="utf-8"
    )
    default = f"BFCL: {about.get('model', '')}, tool protocol {about.get('tool_protocol')}"
    heading = f"# {about.get('title', default)}\n\n"
    text = heading + markdown_table(table)
    (out / "summary.md").write_text(text, encoding="utf-8")
    return text
