"""Typed answers on a model: how many invalid outputs reach the user, and how many fields are
right, over the fifty texts of ``extraction_tasks.TASKS``.

    python benchmarks/extraction.py [--model local] [--limit N] [--json out.json] 2> rows.jsonl

Each row (a JSON line on stderr) is written as it finishes; the summary goes to stdout. The
resumable run in chunks, beside pydantic-ai on the same model, is
``benchmarks/peers/extraction_peers.py`` (it uses ``run_one``).

Each text is one ``Agent(output_type=Person).run``; a run either returns a validated ``Person``
or raises (then it counts as unanswered, never as an invalid output). Field accuracy compares
each of the five fields with the expected value (strings case-insensitively, languages as a set).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from autan import Agent, RunError, load_model
from autan.events import AnswerRejected
from extraction_tasks import TASKS, Extraction, Person

INSTRUCTIONS = "Extract the person described in the text."


def fields_right(got: Person, expected: Person) -> dict[str, bool]:
    return {
        "name": got.name.strip().lower() == expected.name.lower(),
        "age": got.age == expected.age,
        "city": got.city.strip().lower() == expected.city.lower(),
        "role": got.role == expected.role,
        "languages": {x.strip().lower() for x in got.languages}
        == {x.lower() for x in expected.languages},
    }


def run_one(agent: Agent[Person], task: Extraction) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = agent.run(task.text)
        error = None
    except RunError as failure:
        result, error = failure.result, type(failure).__name__
    output = result.output
    valid = isinstance(output, Person)
    rejections = [e.error for e in result.events if isinstance(e, AnswerRejected)]
    return {
        "text": task.text,
        "output": output.model_dump(mode="json") if isinstance(output, Person) else output,
        "error": error,
        "invalid_reaching_user": output is not None and not valid,
        "rejected": len(rejections),
        "first_rejection": rejections[0][:300] if rejections else None,
        "fields": fields_right(output, task.expected) if isinstance(output, Person) else {},
        "model_calls": result.model_calls,
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "seconds": round(time.perf_counter() - started, 3),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    fields = [name for name in Person.model_fields]
    per_field = {f: sum(bool(r["fields"].get(f)) for r in rows) for f in fields}
    return {
        "texts": len(rows),
        "answered": sum(r["error"] is None for r in rows),
        "invalid_reaching_user": sum(r["invalid_reaching_user"] for r in rows),
        "rejected_answers": sum(r["rejected"] for r in rows),
        "fields_right": sum(per_field.values()),
        "fields_total": len(rows) * len(fields),
        "per_field": per_field,
        "all_fields_right": sum(all(r["fields"].values()) and bool(r["fields"]) for r in rows),
        "model_calls": sum(r["model_calls"] for r in rows),
        "seconds": round(sum(r["seconds"] for r in rows), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--limit", type=int, default=len(TASKS))
    parser.add_argument("--json", default=None, metavar="FILE")
    args = parser.parse_args()
    agent = Agent(load_model(args.model), instructions=INSTRUCTIONS, output_type=Person)
    rows = []
    for task in TASKS[: args.limit]:
        row = run_one(agent, task)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    report = summary(rows)
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"summary": report, "rows": rows}, out, indent=2)


if __name__ == "__main__":
    main()
