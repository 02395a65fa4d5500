"""``autan bench bfcl --workers 2`` on the real embedded model: two worker processes, each
loading the model once on its own share of the CPUs, give the same calls as one worker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autan.cli import main

DATA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "bfcl"
SAME = ("id", "category", "calls", "passed", "valid", "prompt_tokens")


def bench(out: Path, workers: int) -> list[dict[str, Any]]:
    code = main(["bench", "bfcl", "--data", str(DATA), "--model", "local", "--out", str(out),
                 "--categories", "simple_python", "--limit", "4",
                 "--workers", str(workers)])  # fmt: skip
    assert code == 0
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return sorted(({key: line[key] for key in SAME} for line in lines), key=lambda r: r["id"])


@pytest.mark.e2e
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/bench/bfcl is not here")
def test_two_workers_give_the_calls_of_one(tmp_path: Path) -> None:
    two = bench(tmp_path / "two", 2)
    assert len(two) == 4
    assert all(record["valid"] for record in two)
    assert two == bench(tmp_path / "one", 1)
