"""Cascade benchmark: the embedded model first, an oracle priced like a hosted model second.

    flock /tmp/autan-model.lock python benchmarks/cascade.py run OUT.jsonl [--offset N] [--limit N]
    python benchmarks/cascade.py report OUT.jsonl

Tasks: the multi-step task set (``peers/tasks.py``, 20 tasks, weather and calculator tools)
and a GSM8K sample (``--gsm8k N`` questions drawn with ``--seed``, from ``--data``, default
``../shared/bench/gsm8k/test.jsonl``), the multi-step tasks first. Each task runs three ways in
one go: ``Cascade([embedded, oracle])``; the oracle alone; the embedded model alone, which is
the cascade's own tier 1 run (the same agent on the same task, under the embedded model's
default decoding, ``autan.models.decoding.DEFAULT_DECODE``: its strategies compare
log-probabilities where they decide and generate greedily elsewhere, so it is deterministic and
running it again would give the same run; each record names it, ``tier1_decode``). Records are
appended to OUT.jsonl as each task ends; a task already there is skipped, so the run is
resumable and can be split with --offset/--limit.

Tier 2 is ``cascade_oracle.OracleServer``: it answers every task with its ground truth, at
once, priced at ``deepseek:deepseek-chat``'s list price from autan's table, with tokens
estimated by autan from the request's length (the oracle reports none). Its accuracy is 100%
by construction; what is measured is the escalation decision: how often the cheap tier is
trusted, how often wrongly (silent failures: tier 1 answered, the cascade accepted, the answer
was wrong) and what the escalations cost.

The cascade escalates on its defaults (a limit, tool retries exhausted, an invalid answer) and
on a verifier that does not know the truth: multi-step tasks, ``grounded`` (the answer repeats
something a tool returned that the task did not say); GSM8K, ``has_number`` (the answer has a
number).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "peers")]

from autan import Agent, Cascade, CascadeFailed, Limits, RunResult, RunStarted, ToolResulted  # noqa: E402
from autan.bench._gsm8k import (  # noqa: E402
    INSTRUCTIONS,
    MAX_STEPS,
    last_number,
    load_questions,
    same_number,
)
from autan.models import Model, load_model  # noqa: E402
from autan.pricing import DEFAULT_PRICES  # noqa: E402
from cascade_oracle import OracleServer  # noqa: E402

ORACLE_PRICE = "deepseek:deepseek-chat"
DEFAULT_DATA = HERE.parent.parent / "shared" / "bench" / "gsm8k" / "test.jsonl"
_WORD = re.compile(r"\d+(?:\.\d+)?|[a-z]{3,}")


@dataclass(frozen=True)
class Item:
    set: str
    id: str
    prompt: str
    truth: str
    """The oracle's answer."""
    correct: Callable[[str | None], bool]


def multistep_items() -> list[Item]:
    from tasks import TASKS, is_correct

    items = []
    for index, task in enumerate(TASKS):
        truth = _multistep_truth(task.prompt)
        assert is_correct(task, truth), (task.prompt, truth)
        items.append(
            Item("multi-step", f"ms-{index}", task.prompt, truth, _checker(is_correct, task))
        )
    return items


def _checker(is_correct: Callable[[Any, str | None], bool], task: Any) -> Callable[..., bool]:
    return lambda answer: is_correct(task, answer)


def _multistep_truth(prompt: str) -> str:
    """What the right tool call returns, as an answer."""
    from tasks import WEATHER, calculator, get_weather

    city = next((c for c in WEATHER if c in prompt.lower()), None)
    if city is not None:
        return f"{get_weather(city)}."
    expression = re.search(r"[\d(][\d\s+\-*/().]*[\d)]", prompt)
    assert expression is not None, prompt
    return f"The answer is {calculator(expression.group())}."


def gsm8k_items(data: Path, count: int, seed: int) -> list[Item]:
    items = []
    for question in load_questions(data, count, seed):
        expected = question.expected
        items.append(
            Item(
                "gsm8k",
                question.id,
                question.question,
                f"The answer is {expected}.",
                lambda answer, e=expected: same_number(last_number(answer or ""), e),
            )
        )
    return items


def grounded(run: RunResult[Any]) -> bool:
    """The answer repeats a number or word that a tool returned and the task did not say."""
    first = run.events[0] if run.events else None
    task = set(_WORD.findall(first.task.lower())) if isinstance(first, RunStarted) else set()
    returned: set[str] = set()
    for event in run.events:
        if isinstance(event, ToolResulted) and not event.is_error:
            returned |= set(_WORD.findall(event.output.lower()))
    answer = set(_WORD.findall((run.output or "").lower()))
    return bool(answer & (returned - task))


def has_number(run: RunResult[Any]) -> bool:
    """The answer has a number."""
    return last_number(run.output or "") is not None


def computed(run: RunResult[Any]) -> bool:
    """The answer's number is one the calculator returned."""
    answer = last_number(run.output or "")
    results = [
        last_number(e.output) for e in run.events if isinstance(e, ToolResulted) and not e.is_error
    ]
    return answer is not None and any(same_number(answer, r) for r in results if r)


def failures_only(run: RunResult[Any]) -> bool:
    """No verifier: every answer is accepted; only failures escalate."""
    return True


@dataclass
class Tiers:
    """The agents of one task set: the embedded model's and the oracle's, same tools."""

    small: Agent[Any]
    oracle: Agent[Any]
    verify: Callable[[RunResult[Any]], bool]
    others: tuple[Callable[[RunResult[Any]], bool], ...]
    """Verifiers judged on the same tier-1 runs, for the what-if rows."""


def tiers_for(kind: str, local: Model, oracle: Model) -> Tiers:
    if kind == "multi-step":
        from tasks import calculator, get_weather

        from autan import tool

        tools = [tool(get_weather), tool(calculator)]
        return Tiers(Agent(local, tools), Agent(oracle, tools), grounded, (failures_only,))
    from autan.tools.calculator import calculator as autan_calculator

    limits = Limits(max_steps=MAX_STEPS)
    small = Agent(local, [autan_calculator], instructions=INSTRUCTIONS, limits=limits)
    top = Agent(oracle, [autan_calculator], instructions=INSTRUCTIONS, limits=limits)
    return Tiers(small, top, computed, (failures_only, has_number))


def decoding(model: Model) -> str:
    """The model's decoding strategies as ``--decode`` names them; ``greedy`` for none."""
    return ",".join(getattr(model, "decode", ())) or "greedy"


def run_item(item: Item, tiers: Tiers, store_dir: Path) -> dict[str, Any]:
    from autan.store import SQLiteStore

    store = SQLiteStore(store_dir / "journal.sqlite3")
    verdicts: dict[str, bool] = {}

    def verify(run: RunResult[Any]) -> bool:
        """Judges tier 1 only: the oracle, which calls no tool, is taken at its word."""
        first = run.events[0] if run.events else None
        if not (isinstance(first, RunStarted) and first.model == "local"):
            return True
        verdicts.update({v.__name__: v(run) for v in tiers.others})
        return tiers.verify(run)

    cascade = Cascade([tiers.small, tiers.oracle], verify=verify, store=store)
    started = time.perf_counter()
    try:
        done = cascade.run(item.prompt)
        ended, output = done.tiers, done.output
    except CascadeFailed as failed:
        ended, output = failed.tiers, None
    seconds = time.perf_counter() - started
    store.close()
    first = ended[0]
    alone = _oracle_alone(tiers.oracle, item)
    return {
        "set": item.set,
        "id": item.id,
        "tier1_decode": decoding(tiers.small.model),
        "tier1_answer": first.output,
        "tier1_correct": item.correct(first.output),
        "tier1_outcome": first.outcome,
        "tier1_reason": first.reason,
        "tier1_seconds": round(first.seconds, 3),
        "tier1_tokens": first.usage.total_tokens,
        "escalated": first.outcome == "escalated",
        "verifier": tiers.verify.__name__,
        "tier1_verdicts": verdicts,
        "tier1_verdicts_names": [v.__name__ for v in tiers.others],
        "cascade_correct": item.correct(output),
        "cascade_cost_usd": sum(t.cost_usd for t in ended),
        "cascade_seconds": round(seconds, 3),
        **alone,
    }


def _oracle_alone(agent: Agent[Any], item: Item) -> dict[str, Any]:
    started = time.perf_counter()
    result = agent.run(item.prompt)
    return {
        "oracle_correct": item.correct(result.output),
        "oracle_cost_usd": result.cost_usd,
        "oracle_seconds": round(time.perf_counter() - started, 3),
    }


def run(args: argparse.Namespace) -> None:
    items = multistep_items() + gsm8k_items(Path(args.data), args.gsm8k, args.seed)
    chosen = items[args.offset : None if args.limit is None else args.offset + args.limit]
    out = Path(args.out)
    done = (
        {json.loads(line)["id"] for line in out.read_text().splitlines()} if out.exists() else set()
    )
    truths = {item.prompt: item.truth for item in items}
    local = load_model("local")
    prices = {"openai:oracle": DEFAULT_PRICES[ORACLE_PRICE]}
    with OracleServer(truths) as server, tempfile.TemporaryDirectory() as folder:
        oracle = load_model(f"openai:oracle@{server.url}", "native", prices=prices)
        sets = {kind: tiers_for(kind, local, oracle) for kind in ("multi-step", "gsm8k")}
        for item in chosen:
            if item.id in done:
                continue
            record = run_item(item, sets[item.set], Path(folder))
            with out.open("a") as file:
                file.write(json.dumps(record) + "\n")
            print(
                f"{item.id}: tier1 {record['tier1_outcome']} {record['tier1_reason']}", flush=True
            )


def report(path: Path) -> str:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    lines = [
        "| set | tasks | configuration | solved | escalated | silent failures | cost (USD) "
        "| seconds |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in ("multi-step", "gsm8k"):
        mine = [r for r in records if r["set"] == kind]
        if mine:
            lines += _rows(kind, mine)
    lines.append("")
    lines += _reasons(records)
    return "\n".join(lines)


def _rows(kind: str, records: list[dict[str, Any]]) -> list[str]:
    n = len(records)
    silent = sum(not r["escalated"] and not r["tier1_correct"] for r in records)
    unchecked = sum(not r["tier1_correct"] for r in records)
    escalated = sum(r["escalated"] for r in records)

    def row(name: str, solved: int, esc: str, silent_text: str, cost: float, secs: float) -> str:
        return (
            f"| {kind} | {n} | {name} | {solved}/{n} | {esc} | {silent_text} | "
            f"{cost:.6f} | {secs:.1f} |"
        )

    return [
        row(
            f"tier 1 alone (embedded SmolLM2-135M, decoding {_decodings(records)})",
            sum(r["tier1_correct"] for r in records),
            "—",
            f"{unchecked} (every wrong answer)",
            0.0,
            sum(r["tier1_seconds"] for r in records),
        ),
        row(
            f"tier 2 alone (oracle, priced as {ORACLE_PRICE})",
            sum(r["oracle_correct"] for r in records),
            "—",
            "0",
            sum(r["oracle_cost_usd"] for r in records),
            sum(r["oracle_seconds"] for r in records),
        ),
        row(
            f"cascade (tier 1, then oracle), verifier {records[0]['verifier']}",
            sum(r["cascade_correct"] for r in records),
            f"{escalated}/{n} ({100 * escalated / n:.0f}%)",
            str(silent),
            sum(r["cascade_cost_usd"] for r in records),
            sum(r["cascade_seconds"] for r in records),
        ),
        *[_what_if(kind, name, records) for name in records[0]["tier1_verdicts_names"]],
    ]


def _decodings(records: list[dict[str, Any]]) -> str:
    """The decodings the records name (records written before ``tier1_decode``: unrecorded)."""
    named = dict.fromkeys(str(r.get("tier1_decode", "not recorded")) for r in records)
    return " / ".join(named)


def _what_if(kind: str, verifier: str, records: list[dict[str, Any]]) -> str:
    """The cascade with another verifier, judged on the same tier-1 runs (not run again)."""
    n = len(records)
    solved = silent = escalated = 0
    cost = seconds = 0.0
    for r in records:
        failed = r["tier1_reason"] not in (None, "verifier")
        up = failed or not r["tier1_verdicts"].get(verifier, True)
        escalated += up
        solved += r["oracle_correct"] if up else r["tier1_correct"]
        silent += not up and not r["tier1_correct"]
        cost += r["oracle_cost_usd"] if up else 0.0
        seconds += r["tier1_seconds"] + (r["oracle_seconds"] if up else 0.0)
    return (
        f"| {kind} | {n} | what if: verifier {verifier} (same tier-1 runs) | {solved}/{n} | "
        f"{escalated}/{n} ({100 * escalated / n:.0f}%) | {silent} | {cost:.6f} | {seconds:.1f} |"
    )


def _reasons(records: list[dict[str, Any]]) -> list[str]:
    lines = ["| set | escalated because | tasks | of them tier 1 was right (needless) |"]
    lines.append("| --- | --- | ---: | ---: |")
    for kind in ("multi-step", "gsm8k"):
        counts: dict[str, list[int]] = {}
        for r in records:
            if r["set"] == kind and r["escalated"]:
                entry = counts.setdefault(r["tier1_reason"], [0, 0])
                entry[0] += 1
                entry[1] += bool(r["tier1_correct"])
        for reason, (count, needless) in sorted(counts.items()):
            lines.append(f"| {kind} | {reason} | {count} | {needless} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    go = commands.add_parser("run")
    go.add_argument("out")
    go.add_argument("--offset", type=int, default=0)
    go.add_argument("--limit", type=int, default=None)
    go.add_argument("--gsm8k", type=int, default=50, help="GSM8K questions in the sample")
    go.add_argument("--seed", type=int, default=0)
    go.add_argument("--data", default=str(DEFAULT_DATA))
    shown = commands.add_parser("report")
    shown.add_argument("out")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        print(report(Path(args.out)))


if __name__ == "__main__":
    main()
