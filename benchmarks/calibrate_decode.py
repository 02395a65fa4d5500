"""Choose the call-or-answer margin of ``--decode likelihood`` on calibration data only.

    python benchmarks/calibrate_decode.py --bfcl ../shared/bench/bfcl [--per-category 40]

For each first step of the everyday tuning half and of a fixed sample of BFCL's calibration
half (every single-turn category; seed 0), the log-odds of a call opening the reply
(``decoding.call_log_odds``) over the cached prompt; a call is right where a tool is needed
(BFCL: every category but irrelevance). Prints each margin's share of right decisions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from autan import load_model
from autan.agent import DEFAULT_INSTRUCTIONS
from autan.bench import load_entries
from autan.bench._schema import tool_specs
from autan.bench._step import request_for
from autan.messages import Message, ModelRequest
from autan.models._llama_scores import LlamaScores
from autan.models.decoding import call_log_odds
from autan.protocols.constrained import CALL_FORMAT, CONSTRAINED_TEXT_ANSWERS
from autan.tools.builtin import builtin_tools
from everyday_tasks import TASKS

CATEGORIES = (
    "simple_python,simple_java,simple_javascript,multiple,parallel,parallel_multiple,irrelevance"
)


def log_odds(model: Any, request: ModelRequest) -> float:
    # the prompt of ``--decode likelihood`` (it brings ``text-answer``'s reply format)
    llama, tokens, _ = model._prepare(request, CONSTRAINED_TEXT_ANSWERS)
    scores = LlamaScores(llama, tokens)
    try:
        return call_log_odds(scores, CALL_FORMAT)
    finally:
        scores.release()


def everyday_points(model: Any) -> list[tuple[str, float, bool]]:
    specs = tuple(t.spec for t in builtin_tools("."))
    points = []
    for task in TASKS:
        if task.half != "tuning":
            continue
        messages = (Message("system", DEFAULT_INSTRUCTIONS), Message("user", task.prompt))
        value = log_odds(model, ModelRequest(messages, specs))
        points.append(_shown((f"everyday:{task.kind}", value, task.needs_tool)))
    return points


def bfcl_points(model: Any, data: Path, per_category: int) -> list[tuple[str, float, bool]]:
    entries = load_entries(data, CATEGORIES.split(","), per_category, 0, "calibration")
    points = []
    for entry in entries:
        specs, _ = tool_specs(entry.functions)
        value = log_odds(model, request_for(entry, specs))
        points.append(_shown((f"bfcl:{entry.category}", value, entry.category != "irrelevance")))
    return points


def _shown(point: tuple[str, float, bool]) -> tuple[str, float, bool]:
    print(json.dumps(point), file=sys.stderr, flush=True)
    return point


def best_margins(points: list[tuple[str, float, bool]]) -> list[tuple[float, int]]:
    margins = sorted({round(-value, 2) for _, value, _ in points} | {0.0})
    return [(m, sum((v + m > 0) == call for _, v, call in points)) for m in margins]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bfcl", type=Path, required=True)
    parser.add_argument("--per-category", type=int, default=40)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    model = load_model("local")
    points = everyday_points(model) + bfcl_points(model, args.bfcl, args.per_category)
    ranked = sorted(best_margins(points), key=lambda pair: -pair[1])
    print(json.dumps({"points": len(points), "best": ranked[:10]}))
    for group in sorted({name for name, _, _ in points}):
        mine = [v for name, v, _ in points if name == group]
        print(f"{group:32} n={len(mine):3} median log-odds {sorted(mine)[len(mine) // 2]:7.2f}")
    if args.json:
        args.json.write_text(json.dumps(points))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
