"""``autan batch`` with the real embedded model: a worker process loads it once, runs both
tasks, and each run is journaled with ``autan run``'s recipe (so ``autan runs resume`` can
continue it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autan import SQLiteStore
from autan.cli import main


@pytest.mark.e2e
def test_a_batch_on_the_embedded_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(
        'What is 37 * 91?\n{"id": "sum", "task": "What is 12 + 30?", "max_steps": 3}\n'
    )
    out = tmp_path / "out"
    code = main(["batch", str(tasks), "--out", str(out), "--model", "local", "--workers", "1"])
    err = capsys.readouterr().err
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(x["id"] for x in lines) == ["line-1", "sum"]
    assert code == (0 if all(x["status"] == "completed" for x in lines) else 1)
    assert "2 tasks:" in err
    with SQLiteStore(out / "journal.sqlite3") as store:
        for line in lines:
            info = store.info(line["run_id"])
            assert info.config["cli"]["model"] == "local"
            assert line["usage"]["prompt_tokens"] > 0
            assert info.status == ("completed" if line["status"] == "completed" else "failed")
