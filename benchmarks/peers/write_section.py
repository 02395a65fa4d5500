"""Writes the peer overhead and multi-step tables into BENCHMARKS.md, between its markers.

    python benchmarks/peers/write_section.py RESULTS_DIR [BENCHMARKS.md]

RESULTS_DIR is what ``benchmarks/run_all.sh`` wrote: ``overhead/overhead.json``,
``multistep/`` (``results.jsonl``, ``meta.json``), ``commands.txt``, ``machine.txt`` and
``versions/<venv>.txt``. Everything between ``<!-- peers-multistep:begin -->`` and
``<!-- peers-multistep:end -->`` is replaced (the block is appended when absent).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from multistep_report import load_rows, markdown, summarize
from tasks import TASKS

BEGIN, END = "<!-- peers-multistep:begin -->", "<!-- peers-multistep:end -->"
PEER_NAMES = ["smolagents", "pydantic_ai", "openai_agents", "langgraph", "agno"]


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def overhead_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| framework | import (ms) | import + build one agent (ms) | one run, median (ms) | "
        "bare `http.client` loop, same process (ms) | run ÷ bare | memory per 1,000 agents "
        "(KiB) | first request: bytes | first request: prompt tokens |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        run = row.get("per_run") or {}
        memory = row.get("memory") or {}
        cells = [
            row["framework"],
            row.get("import_ms", "—"),
            row.get("import_and_build_ms", "—"),
            run.get("median_ms", "—"),
            run.get("bare_median_ms", "—"),
            ratio(run["median_ms"], run["bare_median_ms"]) if run else "—",
            f"{memory['kib_per_1000_agents']:,}" if memory else "—",
            f"{row['first_request_bytes']:,}" if "first_request_bytes" in row else "—",
            row.get("first_request_prompt_tokens", "—"),
        ]
        if "error" in row:
            cells = [row["framework"], f"failed: {row['error']}", *["—"] * 7]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def overhead_goals(rows: list[dict[str, Any]]) -> str:
    by_name = {row["framework"]: row for row in rows if "error" not in row}
    autan = by_name.get("autan")
    peers = [by_name[name] for name in PEER_NAMES if name in by_name]
    if autan is None or not peers:
        return "Goals not evaluated: autan or every peer is missing from this run.\n"
    leanest_import = min(peers, key=lambda r: r["import_ms"])
    leanest_run = min(peers, key=lambda r: r["per_run"]["median_ms"])
    leanest_build = min(peers, key=lambda r: r["import_and_build_ms"])
    autan_run = autan["per_run"]
    lines = [
        _goal(
            "autan's import time at most 1/5 of the leanest peer's",
            autan["import_ms"],
            leanest_import["import_ms"],
            leanest_import["framework"],
            0.2,
        ),
        _goal(
            "autan's import plus building one agent with two tools (not a goal; shown because "
            "pydantic loads when the first tool is built, not at import) at most 1/5 of the "
            "leanest peer's",
            autan["import_and_build_ms"],
            leanest_build["import_and_build_ms"],
            leanest_build["framework"],
            0.2,
        ),
        _goal(
            "autan's per-run time at most 1/5 of the leanest peer's",
            autan_run["median_ms"],
            leanest_run["per_run"]["median_ms"],
            leanest_run["framework"],
            0.2,
        )
        + _floor_note(autan_run["bare_median_ms"], 0.2 * leanest_run["per_run"]["median_ms"]),
        _relative_to_own_loop(autan, leanest_run),
        _goal(
            "autan's per-run time within 1.5 times the bare `http.client` loop",
            autan_run["median_ms"],
            autan_run["bare_median_ms"],
            "bare loop",
            1.5,
        ),
    ]
    return "\n".join(lines) + "\n"


def _goal(what: str, mine: float, theirs: float, whose: str, bound: float) -> str:
    value = mine / theirs
    verdict = "**met**" if value <= bound else "**not met**"
    return f"- {what}: {verdict} — {mine} ms against {theirs} ms ({whose}), ratio {value:.2f}."


def _relative_to_own_loop(autan: dict[str, Any], peer: dict[str, Any]) -> str:
    """The per-run goal again, each run divided by the bare loop of its own process (the loop
    is slower in some frameworks' processes than in others)."""
    mine = autan["per_run"]["median_ms"] / autan["per_run"]["bare_median_ms"]
    theirs = peer["per_run"]["median_ms"] / peer["per_run"]["bare_median_ms"]
    verdict = "**met**" if mine / theirs <= 0.2 else "**not met**"
    return (
        f"- The same, each run divided by its own process's bare loop first: {verdict} — "
        f"{mine:.2f} against {theirs:.2f} ({peer['framework']}), ratio {mine / theirs:.2f}."
    )


def _floor_note(bare_ms: float, bound_ms: float) -> str:
    if bare_ms <= bound_ms:
        return ""
    return (
        f" The bound, {bound_ms:.3f} ms, is below the bare `http.client` loop's {bare_ms} ms "
        "for the same two requests: no client can meet it against this server."
    )


def multistep_goals(summary: list[dict[str, Any]]) -> str:
    by_name = {s["framework"]: s for s in summary}
    lines = []
    for variant in ("autan", "autan_constrained", "autan_embedded"):
        mine = by_name.get(variant)
        if mine is None:
            continue
        peers = [by_name[name] for name in PEER_NAMES if name in by_name]
        beaten = [p for p in peers if mine["correct"] > p["correct"]]
        fewer = [p for p in peers if mine["requests_total"] < p["requests_total"]]
        lines.append(
            f"- {variant}: {mine['correct']}/{mine['tasks']} correct in {mine['requests_total']} "
            f"requests; more correct answers than {len(beaten)} of {len(peers)} peers "
            f"({_names(peers, beaten)}); fewer requests than {len(fewer)} of {len(peers)} "
            f"({_names(peers, fewer)})."
        )
    return "\n".join(lines) + "\n"


def _names(peers: list[dict[str, Any]], chosen: list[dict[str, Any]]) -> str:
    missing = [p["framework"] for p in peers if p not in chosen]
    return "all" if not missing else "not: " + ", ".join(missing)


def complete_tasks(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The rows of the tasks that every framework ran, and a note on those left out."""
    frameworks = {row["framework"] for row in rows}
    ran = {
        task
        for task in {row["task"] for row in rows}
        if {r["framework"] for r in rows if r["task"] == task} == frameworks
    }
    partial = sorted({row["task"] for row in rows} - ran)
    note = ""
    if len(ran) < len(TASKS):
        note = f" **Only {len(ran)} of the {len(TASKS)} tasks were run by every framework**: "
        note += "the run was stopped before the others"
        if partial:
            note += f" (task {', '.join(map(str, partial))}, run by some, is left out)"
        note += "."
    return [row for row in rows if row["task"] in ran], note


def busy_machine_warning(directory: Path) -> str:
    """A warning when the machine ran other work: times then say more about the load than about
    the frameworks."""
    text = (directory / "machine.txt").read_text()
    load = re.search(r"load average at the start (\d+(?:\.\d+)?)", text)
    cpus = re.search(r"(\d+) CPUs", text)
    if not load or not cpus or float(load.group(1)) <= int(cpus.group(1)):
        return ""
    return (
        f"**Measured on a shared, overloaded machine** (load average {load.group(1)} on "
        f"{cpus.group(1)} CPUs at the start, other benchmarks running): every time above is "
        "inflated several-fold and the medians are unstable (even the bare loop's median differs "
        "between processes). Read the goal lines below as this run's numbers, not as settled; "
        "rerun `STEPS=overhead benchmarks/run_all.sh` on a quiet machine.\n"
    )


def versions(directory: Path) -> str:
    parts = []
    for path in sorted((directory / "versions").glob("*.txt")):
        parts.append(f"{path.stem}:\n```\n{path.read_text().strip()}\n```")
    return (
        "<details><summary>pip freeze of each environment</summary>\n\n"
        + "\n\n".join(parts)
        + "\n\n</details>\n"
    )


def section(directory: Path, previous: str = "") -> str:
    """The block for the results in ``directory``; ``previous`` is the document it replaces a
    block in (a multi-step table there is kept when ``directory`` has none)."""
    meta_path = directory / "multistep" / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    parts = [
        "## Peer frameworks: overhead and multi-step tasks — `benchmarks/run_all.sh`\n",
        "Generated by `benchmarks/run_all.sh` (not typed by hand); "
        f"{(directory / 'machine.txt').read_text().strip()}\n",
        "```\n" + (directory / "commands.txt").read_text().strip() + "\n```\n",
    ]
    overhead = directory / "overhead" / "overhead.json"
    if overhead.exists():
        rows = json.loads(overhead.read_text())
        parts += [
            "### Overhead\n",
            "Import: median of fresh processes minus a bare `python -c pass` of the same "
            "interpreter. A run: one tool call and a final answer against an instant "
            "OpenAI-compatible server on loopback (canned replies, Nagle off), with a bare "
            "`http.client` loop sending the same two requests interleaved in the same process. "
            "Memory: tracemalloc growth for 1,000 agents built with one tool. First request: the "
            "weather task with the two task tools; tokens as the correct-tools server counts "
            "them (the request replayed with `max_tokens: 1`). `smolagents_code` is smolagents' "
            "CodeAgent, measured for its first request only.\n",
            overhead_table(rows),
            busy_machine_warning(directory),
            overhead_goals(rows),
        ]
    if (directory / "multistep" / "results.jsonl").exists():
        rows, left_out = complete_tasks(load_rows(directory / "multistep"))
        summary = summarize(rows)
        parts += [
            "### Multi-step tasks, each framework with its default limits\n",
            f"{len({r['task'] for r in rows})} of the {len(TASKS)} tasks of "
            "`benchmarks/peers/tasks.py`, two tools "
            "offered in every task (weather lookup, calculator); the model is the embedded "
            f"SmolLM2-135M behind the correct-tools server `{meta.get('server', '?')}` "
            "(`benchmarks/peers/tool_server.py`), requests and prompt tokens counted from the "
            "server's `usage` by a proxy; `autan_embedded` counts its own. Correct: an "
            "expected value appears in the final answer (a whole number, a temperature in °C, or "
            "a word: `tasks.is_correct`). `autan` lets its probe choose the tool protocol, "
            "`autan_constrained` is given `constrained`. A task still "
            f"running after {meta.get('timeout_s', '?'):g} s is stopped and counted as failed "
            f"(⏱). autan's probe chose the `{meta.get('autan_tool_protocol', '?')}` protocol "
            f"({meta.get('autan_probe_requests', '?')} request, before the tasks, not counted). "
            f"Cells: ✓/✗ and the task's model requests.{left_out}\n",
            markdown(summary, rows),
            multistep_goals(summary),
        ]
    else:
        parts.append(earlier_multistep(previous))
    parts.append(versions(directory))
    return "\n".join(parts)


MULTISTEP = "### Multi-step tasks"
KEPT = "*Kept from an earlier run*"


def earlier_multistep(document: str) -> str:
    """The multi-step subsection of the block already in ``document``, marked with the run it
    came from, for a run that did not measure multi-step tasks (the slowest step: steps may be
    run apart). Empty when there is none."""
    if BEGIN not in document or END not in document:
        return ""
    block = document.partition(BEGIN)[2].partition(END)[0]
    if MULTISTEP not in block:
        return ""
    subsection = MULTISTEP + block.partition(MULTISTEP)[2].partition("<details>")[0].rstrip()
    if KEPT in subsection:
        return subsection + "\n"
    header = block.partition("\n### ")[0]
    generated = next((line for line in header.splitlines() if line.startswith("Generated")), "")
    commands = "```" + header.partition("```")[2].rpartition("```")[0] + "```"
    heading, _, rest = subsection.partition("\n")
    note = f"{KEPT} (the run above did not measure multi-step tasks). {generated}\n\n{commands}\n"
    return f"{heading}\n\n{note}{rest}\n"


def replace_block(document: str, block: str) -> str:
    wrapped = f"{BEGIN}\n{block.rstrip()}\n{END}"
    if BEGIN in document and END in document:
        head, _, rest = document.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + wrapped + tail
    return document.rstrip() + "\n\n" + wrapped + "\n"


def main(arguments: list[str]) -> int:
    directory = Path(arguments[0])
    target = Path(arguments[1] if len(arguments) > 1 else "BENCHMARKS.md")
    document = target.read_text()
    target.write_text(replace_block(document, section(directory, document)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
