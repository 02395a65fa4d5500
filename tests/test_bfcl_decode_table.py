"""benchmarks/bfcl_decode_table.py: result directories of `autan bench bfcl` as one table."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bench_modules import BENCH, load

table = load("bfcl_decode_table", BENCH / "bfcl_decode_table.py")


def _record(
    entry_id: str, passed: bool, valid: bool = True, tokens: int = 100
) -> dict[str, object]:
    return {
        "id": entry_id,
        "category": entry_id.rsplit("_", 1)[0],
        "calls": [],
        "passed": passed,
        "valid": valid,
        "prompt_tokens": tokens,
        "completion_tokens": 5,
        "cached_tokens": 0,
        "model_calls": 1,
        "seconds": 1.5,
    }


def _run(directory: Path, records: list[dict[str, object]]) -> Path:
    directory.mkdir()
    lines = [json.dumps(r) for r in records]
    (directory / "results.jsonl").write_text("\n".join(lines) + '\n{"id": "cut', encoding="utf-8")
    return directory


def test_rows_per_directory_with_counts_invalid_ids_and_partial_marks(tmp_path: Path) -> None:
    full = _run(
        tmp_path / "another-call+relevance",
        [
            _record("simple_python_1", True, tokens=100),
            _record("simple_python_2", False, tokens=200),
            _record("multiple_7", True),
        ],
    )
    short = _run(tmp_path / "greedy", [_record("simple_python_1", False, valid=False)])
    text = table.tables(table.rows([full, short]), ["simple_python", "multiple"], expected=3)
    lines = text.splitlines()
    assert lines[2] == "| `--decode` | simple_python | multiple | all | invalid |"
    assert lines[4] == (
        "| `another-call,relevance` | 50.0% (1/2) | 100.0% (1/1) | 66.7% (2/3) | 0 |"
    )
    assert lines[5] == "| `greedy` (partial, 1/3) | 0.0% (0/1) | - | 0.0% (0/1) | 1 |"
    assert "| `another-call,relevance` | 150 | 100 | 133 |" in lines
    assert "| `greedy` | 1.50 | - | 1.50 |" in lines
    assert lines[-1] == "- `greedy`: simple_python_1"


def test_no_invalid_call_says_none(tmp_path: Path) -> None:
    run = _run(tmp_path / "default", [_record("irrelevance_3", True)])
    text = table.tables(table.rows([run]), ["irrelevance"])
    assert "partial" not in text
    assert text.endswith("Entries with an invalid call: none\n")


def test_the_command_line_counts_the_selection_from_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    function = {"name": "f", "description": "", "parameters": {"type": "dict", "properties": {}}}
    ids = [f"irrelevance_{i}" for i in range(12)]
    lines = [
        json.dumps(
            {"id": i, "question": [[{"role": "user", "content": "x"}]], "function": [function]}
        )
        for i in ids
    ]
    (data / "BFCL_v4_irrelevance.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = [i for i in ids if hashlib.sha256(i.encode()).digest()[0] % 2 == 1]
    assert 1 < len(report) < len(ids)
    run = _run(tmp_path / "default", [_record(report[0], True)])
    table.main([str(run), "--data", str(data), "--categories", "irrelevance", "--half", "report"])
    row = f"| `default` (partial, 1/{len(report)}) | 100.0% (1/1) | 100.0% (1/1) | 0 |"
    assert row in capsys.readouterr().out.splitlines()
