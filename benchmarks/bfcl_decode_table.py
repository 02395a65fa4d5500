"""Tables of `autan bench bfcl` result directories side by side, one row per directory.

    python benchmarks/bfcl_decode_table.py /tmp/s6/bfcl/default /tmp/s6/bfcl/greedy ... \
        [--data ../shared/bench/bfcl --half report --limit 40 --seed 0]

Each directory is one `--out` of `autan bench bfcl` (its `results.jsonl`, complete or not); its
row is named after the directory, `+` read as `,` (`another-call+relevance` is the
`--decode another-call,relevance` run). Prints three markdown tables (accuracy with correct
counts, mean prompt tokens, mean seconds per entry), one column per category plus `all`, and the
ids of entries with an invalid call. With `--data` (and the run's `--categories`, `--half`,
`--limit`, `--seed`), a row with fewer entries than that selection is marked partial.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autan.bench import load_entries, read_results, summarise

ALL = "all"
CATEGORIES = (
    "simple_python,multiple,parallel,parallel_multiple,irrelevance,simple_java,simple_javascript"
)


def label(directory: Path) -> str:
    return directory.name.replace("+", ",")


def rows(directories: Sequence[Path]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(label(d), read_results(d / "results.jsonl")) for d in directories]


def tables(
    runs: Sequence[tuple[str, list[dict[str, Any]]]],
    categories: Sequence[str],
    expected: int | None = None,
) -> str:
    """Markdown: accuracy, mean prompt tokens and mean seconds, D x category (+ ``all``)."""
    columns = [*categories, ALL]
    summaries = [(name, summarise(records), records) for name, records in runs]
    out = ["Accuracy, correct/entries; invalid: entries with an invalid call\n\n"]
    out.append(_head([*columns, "invalid"]))
    for name, table, records in summaries:
        cells = []
        for column in columns:
            s = table.get(column)
            cells.append(
                "-" if s is None else f"{s['accuracy']:.1%} ({s['passed']:.0f}/{s['entries']:.0f})"
            )
        invalid = sum(not record.get("valid", True) for record in records)
        partial = expected is not None and len(records) < expected
        shown = f"`{name}`" + (f" (partial, {len(records)}/{expected})" if partial else "")
        out.append(f"| {shown} | " + " | ".join(cells) + f" | {invalid} |\n")
    for title, key, fmt in (
        ("Mean prompt tokens per entry", "mean_prompt_tokens", "{:.0f}"),
        ("Mean seconds per entry (depend on load)", "mean_seconds", "{:.2f}"),
    ):
        out.append(f"\n{title}\n\n{_head(columns)}")
        for name, table, _ in summaries:
            cells = [
                "-" if column not in table else fmt.format(table[column][key]) for column in columns
            ]
            out.append(f"| `{name}` | " + " | ".join(cells) + " |\n")
    bad = [
        f"- `{name}`: " + ", ".join(r["id"] for r in records if not r.get("valid", True))
        for name, records in runs
        if any(not r.get("valid", True) for r in records)
    ]
    out.append(
        "\nEntries with an invalid call: " + ("none\n" if not bad else "\n" + "\n".join(bad) + "\n")
    )
    return "".join(out)


def _head(columns: Sequence[str]) -> str:
    return "| `--decode` | " + " | ".join(columns) + " |\n" + "| --- " * (len(columns) + 1) + "|\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directories", nargs="+", type=Path)
    parser.add_argument("--categories", default=CATEGORIES)
    parser.add_argument("--data", type=Path, help="BFCL data: mark rows short of the selection")
    parser.add_argument("--half", choices=("calibration", "report"))
    parser.add_argument("--limit", type=int)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    categories = args.categories.split(",")
    expected = None
    if args.data is not None:
        expected = len(load_entries(args.data, categories, args.limit, args.seed, args.half))
    print(tables(rows(args.directories), categories, expected), end="")


if __name__ == "__main__":
    main()
