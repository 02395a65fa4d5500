"""The tables of ``bfcl_peers.py``: per framework and server, from the results in ``--out``.

Only entries every listed framework has finished are compared, so a stopped run still gives
like-for-like numbers (the entry count is in the table). Writes ``summary.md``/``summary.json``
in ``--out`` and, when asked, the block between ``<!-- peers-bfcl:begin -->`` and
``<!-- peers-bfcl:end -->`` of BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- peers-bfcl:begin -->", "<!-- peers-bfcl:end -->"
HERE = Path(__file__).resolve().parent
VENVS = HERE.parent / ".venvs"
PINNED = ("smolagents", "pydantic-ai-slim", "openai-agents", "langgraph", "langchain-openai",
          "langchain-core", "agno", "openai")  # fmt: skip


def write_reports(
    out: Path, entries: list[Any], configs: list[Any], command: str, benchmarks_md: Path | None
) -> None:
    wanted = {entry.id for entry in entries}
    results = {c.name: _read(out / c.name / "results.jsonl", wanted) for c in configs}
    results = {name: records for name, records in results.items() if records}
    categories = list(dict.fromkeys(entry.category for entry in entries))
    main = {n: r for n, r in results.items() if not n.endswith("@stock")}
    stock = {n: r for n, r in results.items() if n.endswith("@stock")}
    rows, common = _rows(main, categories)
    stock_rows, stock_common = _rows(stock, categories)
    done = {name: len(records) for name, records in results.items()}
    text = _markdown(rows, categories, common, len(wanted), done, command)
    if stock_rows:
        text += _stock_section(stock_rows, categories, stock_common, len(wanted))
    text += "\nVersions: " + _versions() + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(text, encoding="utf-8")
    summary = {"rows": rows, "stock_rows": stock_rows, "done": done}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    if benchmarks_md is not None:
        _replace_block(benchmarks_md, text)
    print(text)


def _rows(
    results: dict[str, dict[str, dict[str, Any]]], categories: list[str]
) -> tuple[list[dict[str, Any]], int]:
    """One row per framework@server, over the entries every one of them finished."""
    common = set.intersection(*(set(r) for r in results.values())) if results else set()
    rows = [_row(name, [records[i] for i in sorted(common)], categories)
            for name, records in results.items()]  # fmt: skip
    return rows, len(common)


def _stock_section(
    rows: list[dict[str, Any]], categories: list[str], compared: int, sampled: int
) -> str:
    lines = [
        "",
        "The peers against llama-cpp-python's **stock server**, as a user meets it "
        f"({compared} of the {sampled} entries, those finished by every stock row; the stock "
        "rows run after the others, so a stopped run has fewer of them):",
        "",
        *_table(rows, categories),
        "",
    ]
    return "\n".join(lines)


def _read(path: Path, wanted: set[str]) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {r["id"]: r for r in records if r["id"] in wanted}


def _row(name: str, records: list[dict[str, Any]], categories: list[str]) -> dict[str, Any]:
    def mean(key: str) -> float:
        values = [r[key] for r in records if r.get(key) is not None]
        return statistics.fmean(values) if values else 0.0

    accuracy = {}
    for category in categories:
        chosen = [r for r in records if r["category"] == category]
        accuracy[category] = sum(r["passed"] for r in chosen) / len(chosen) if chosen else None
    return {
        "name": name,
        "entries": len(records),
        "accuracy": accuracy,
        "all": sum(r["passed"] for r in records) / len(records) if records else 0.0,
        "invalid": sum(not r["valid"] for r in records) / len(records) if records else 0.0,
        "prompt_tokens": mean("prompt_tokens"),
        "first_prompt_tokens": mean("first_prompt_tokens"),
        "requests": mean("model_calls"),
        "seconds": mean("seconds"),
        "errors": sum(bool(r.get("error")) for r in records),
    }


def _markdown(
    rows: list[dict[str, Any]],
    categories: list[str],
    compared: int,
    sampled: int,
    done: dict[str, int],
    command: str,
) -> str:
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}; "
        f"{compared} of the {sampled} sampled entries finished by every row of this table "
        f"(finished per row: {', '.join(f'{k} {v}' for k, v in done.items())}).",
        "",
        "```",
        command,
        "```",
        "",
        *_table(rows, categories),
    ]
    if compared < sampled:
        lines.insert(0, f"**Partial run: {compared} of {sampled} entries; too few to decide a "
                        "goal, the ratios below are those of this partial run.**\n")  # fmt: skip
    lines += ["", *_goals(rows)]
    return "\n".join(lines) + "\n"


def _table(rows: list[dict[str, Any]], categories: list[str]) -> list[str]:
    lines = [
        "| framework@server | entries | " + " | ".join(categories)
        + " | all | invalid | mean prompt tokens | 1st request | requests | mean s | errors |",
        "| --- " * (len(categories) + 9) + "|",
    ]  # fmt: skip
    for row in rows:
        cells = [_percent(row["accuracy"][c]) for c in categories]
        lines.append(
            f"| {row['name']} | {row['entries']} | " + " | ".join(cells)
            + f" | **{_percent(row['all'])}** | {_percent(row['invalid'])} "
            f"| {row['prompt_tokens']:.0f} | {row['first_prompt_tokens']:.0f} "
            f"| {row['requests']:.2f} | {row['seconds']:.2f} | {row['errors']} |"
        )  # fmt: skip
    return lines


def _goals(rows: list[dict[str, Any]]) -> list[str]:
    peers = [
        r for r in rows if r["name"].endswith("@correct") and not r["name"].startswith("autan")
    ]
    if not peers:
        return []
    best = max(peers, key=lambda r: r["all"])
    leanest = min(peers, key=lambda r: r["prompt_tokens"])
    fastest = min(peers, key=lambda r: r["seconds"])
    lines = [
        f"Goals against the peers on the correct-tools server (best accuracy {best['name']} "
        f"{_percent(best['all'])}, leanest {leanest['name']} {leanest['prompt_tokens']:.0f} "
        f"tokens, fastest {fastest['name']} {fastest['seconds']:.2f} s):",
        "",
    ]
    for row in rows:
        if not row["name"].startswith("autan@") or row["name"] == "autan@stock":
            continue
        accuracy = row["all"] / best["all"] if best["all"] else float("inf")
        tokens = row["prompt_tokens"] / leanest["prompt_tokens"] if leanest["prompt_tokens"] else 0
        seconds = row["seconds"] / fastest["seconds"] if fastest["seconds"] else 0
        lines.append(
            f"- {row['name']}: accuracy {accuracy:.2f}x the best peer's "
            f"({_verdict(accuracy >= 1.5)}: goal ≥ 1.5x); prompt tokens {tokens:.2f}x the "
            f"leanest peer's ({_verdict(tokens <= 1 / 3)}: goal ≤ 0.33x); wall time "
            f"{seconds:.2f}x the fastest peer's ({_verdict(seconds <= 1 / 3)}: goal ≤ 0.33x)."
        )
    return lines


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({model}), no GPU, "
        f"shared: load average {load} when this table was written"
    )


def _versions() -> str:
    import llama_cpp

    from autan import __version__

    found = [f"autan {__version__}", f"llama-cpp-python {llama_cpp.__version__}"]
    for venv in sorted(VENVS.glob("*/bin/python")):
        try:
            freeze = subprocess.run(
                [str(venv), "-m", "pip", "freeze"], capture_output=True, text=True, timeout=60
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        pins = [line for line in freeze.splitlines() if line.split("==")[0].lower() in PINNED]
        found.append(f"{venv.parent.parent.name}: {', '.join(pins)}")
    return "; ".join(found) + "."


def _replace_block(path: Path, text: str) -> None:
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        path.write_text(head + block + tail, encoding="utf-8")
    else:
        path.write_text(current.rstrip("\n") + "\n\n" + block + "\n", encoding="utf-8")
