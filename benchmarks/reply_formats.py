"""Compare reply formats of the constrained protocol on the one-tool task set.

    python benchmarks/reply_formats.py

Each variant sets the answer key and the reply-format line, then runs every task of
``one_tool_tasks.TASKS`` on the embedded model. This is how the shipped format was chosen.
"""

from __future__ import annotations

import sys
from typing import Any

import finishing
from autan import load_model
from autan.protocols import constrained
from one_tool_tasks import TASKS

CALL = '{"tool": NAME, "arguments": {...}} to call a tool'
VARIANTS: dict[str, tuple[str, str]] = {
    "answer / TEXT": (
        "answer",
        f'Reply with JSON only: {CALL}, or {{"answer": TEXT}} to give the final answer.',
    ),
    "result / TEXT": (
        "result",
        f'Reply with JSON only: {CALL}, or {{"result": TEXT}} to give the final answer.',
    ),
    "final_answer / TEXT": (
        "final_answer",
        f'Reply with JSON only: {CALL}, or {{"final_answer": TEXT}} to give the final answer.',
    ),
    'final_answer / "TEXT"': (
        "final_answer",
        f'Reply with JSON only: {CALL}, or {{"final_answer": "TEXT"}} to give the final answer.',
    ),
    'result / "TEXT" (shipped)': (
        "result",
        f'Reply with JSON only: {CALL}, or {{"result": "TEXT"}} to give the final answer.',
    ),
}


def use(key: str, reply_format: str) -> None:
    constrained.ANSWER_KEY = key
    constrained.REPLY_FORMAT = reply_format
    constrained.ANSWER_ONLY_SCHEMA = {
        "type": "object",
        "properties": {key: {"type": "string", "minLength": 1, "maxLength": 400}},
        "required": [key],
        "additionalProperties": False,
    }


def main() -> int:
    model = load_model("local")
    print("| variant | correct | answer is exactly the expected value | model calls (total) |")
    print("| --- | --- | --- | --- |")
    for name, (key, reply_format) in VARIANTS.items():
        use(key, reply_format)
        rows: list[dict[str, Any]] = [finishing.run_task(model, task, 6) for task in TASKS]
        correct = sum(bool(row["correct"]) for row in rows)
        exact = sum(bool(row["exact"]) for row in rows)
        calls = sum(int(row["model_calls"]) for row in rows)
        print(f"| {name} | {correct}/{len(rows)} | {exact} | {calls} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
