"""Lexical tool relevance on BFCL, no model (issue 18): how often ``protocols.relevance`` keeps
the tools of an entry that needs a call, drops those of an ``irrelevance`` entry, and ranks the
right function first among several (``multiple``, ``parallel_multiple``).

    python benchmarks/tool_selection.py --data ../shared/bench/bfcl [--half report]

Per category: entries, fit (some offered tool fits the question: the ``relevance`` default keeps
the tools; for ``irrelevance``, dropping them is the right answer), and for entries offering
several functions, top-1 (the first ranked function is one the ground truth calls).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from autan.bench import load_entries
from autan.bench._data import Entry
from autan.bench._schema import tool_specs
from autan.protocols.relevance import fitting, ranked


def category_row(entries: list[Entry]) -> dict[str, object]:
    fit = top = several = 0
    for entry in entries:
        specs, names = tool_specs(entry.functions)
        question = " ".join(m["content"] for m in entry.messages if m["role"] == "user")
        fit += bool(fitting(question, specs))
        if len(specs) > 1:
            several += 1
            wanted = {name for call in entry.ground_truth for name in call}
            top += names[ranked(question, specs)[0].name] in wanted
    return {"entries": len(entries), "fit": fit, "several": several, "top1": top}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--half", choices=["calibration", "report"])
    args = parser.parse_args()
    entries = load_entries(args.data, half=args.half)
    for category in dict.fromkeys(entry.category for entry in entries):
        mine = [entry for entry in entries if entry.category == category]
        print(json.dumps({"category": category, **category_row(mine)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
