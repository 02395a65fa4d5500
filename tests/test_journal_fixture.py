"""A journal written by this version (``fixtures/journal_v1.sqlite3``) must keep loading.

``journal_v1.jsonl`` is what it held when it was written: each record loaded now must still carry
every field it had then, with the same value (later versions may add fields, never drop one).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from autan import RunError, SQLiteStore
from autan.store import export_run

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture
def store(tmp_path: Path) -> Any:
    copy = tmp_path / "journal_v1.sqlite3"
    shutil.copy(FIXTURES / "journal_v1.sqlite3", copy)  # opening a journal may write beside it
    with SQLiteStore(copy) as opened:
        yield opened


def runs_by_task(store: SQLiteStore) -> dict[str, str]:
    return {str(info.config["task"]): info.run_id for info in store.runs()}


def snapshot() -> list[dict[str, Any]]:
    lines = (FIXTURES / "journal_v1.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def contains(record: Any, then: Any) -> bool:
    if isinstance(then, dict):
        return isinstance(record, dict) and all(
            key in record and contains(record[key], value) for key, value in then.items()
        )
    if isinstance(then, list):
        return (
            isinstance(record, list)
            and len(record) == len(then)
            and all(contains(r, t) for r, t in zip(record, then, strict=True))
        )
    return bool(record == then)


def test_every_record_of_the_v1_journal_still_loads_with_its_fields(store: SQLiteStore) -> None:
    now = [
        json.loads(json.dumps(record))
        for task in sorted(runs_by_task(store))
        for record in export_run(store, runs_by_task(store)[task])
    ]
    then = snapshot()
    assert len(now) == len(then) == 48
    for record, old in zip(now, then, strict=True):
        assert contains(record, old), (record, old)


def test_the_v1_runs_have_their_statuses(store: SQLiteStore) -> None:
    statuses = {str(info.config["task"]): info.status for info in store.runs()}
    assert statuses == {
        "completed run": "completed",
        "failed run": "failed",
        "incomplete run": "interrupted",
    }


def test_the_v1_runs_resume(store: SQLiteStore) -> None:
    sys.path.insert(0, str(FIXTURES))
    try:
        from make_journal_v1 import TURNS, agent
    finally:
        sys.path.remove(str(FIXTURES))
    runs = runs_by_task(store)
    assert agent(store, []).resume(runs["completed run"]).output == "5, 2 and ÜNÏCODE ✓"
    assert agent(store, TURNS).resume(runs["incomplete run"]).output == "5, 2 and ÜNÏCODE ✓"
    with pytest.raises(RunError, match="already ended"):
        agent(store, TURNS).resume(runs["failed run"])
