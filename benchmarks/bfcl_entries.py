"""Chosen BFCL entries, each under several decodings of the embedded model, side by side.

    flock /tmp/autan-model.lock env PYTHONPATH=src python benchmarks/bfcl_entries.py \
        --data ../shared/bench/bfcl --decode default another-call,relevance,grounded,chat-answer \
        --ids simple_python_144 multiple_69 ... [--json out.jsonl]

For re-running the entries a table names (BENCHMARKS.md lists those with an invalid call) as
``autan bench bfcl`` runs them (``bench.run_entry``: one step, 256 tokens), one decoding after
the other per entry, one model (its ``decode`` set for each: decodings that change the
protocol, ``text-answer`` and what brings it, are not for this script). One JSON line per
(entry, decoding): the record, valid, passed; then a summary line per decoding.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from autan.bench import load_entries, run_entry
from autan.models.decoding import parse_decode
from autan.models.llama import LlamaModel
from autan.models.spec import load_model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--ids", nargs="+", required=True)
    parser.add_argument("--decode", nargs="+", default=["default"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    wanted = set(args.ids)
    entries = [e for e in load_entries(args.data) if e.id in wanted]
    missing = wanted - {e.id for e in entries}
    if missing:
        raise SystemExit(f"not in the data: {', '.join(sorted(missing))}")
    model = load_model("local")
    assert isinstance(model, LlamaModel)
    totals: dict[str, dict[str, int]] = {n: {"valid": 0, "passed": 0} for n in args.decode}
    out = args.json.open("a") if args.json else None
    for entry in entries:
        for name in args.decode:
            model.decode = parse_decode(name)  # one llama.cpp context: the weights load once
            record, error = run_entry(model, entry)
            row: dict[str, Any] = {"decode": name, **record, "error": error}
            totals[name]["valid"] += bool(record["valid"])
            totals[name]["passed"] += bool(record["passed"])
            line = json.dumps(row)
            print(line, flush=True)
            if out:
                out.write(line + "\n")
                out.flush()
    for name, counted in totals.items():
        print(json.dumps({"decode": name, **counted, "of": len(entries)}))


if __name__ == "__main__":
    main()
