"""A batch on a real local Ray instance: an actor killed with SIGKILL mid-task (after its tool's
side effect, before the result is journaled) is restarted, its task retried, and the journal
makes the retry exactly once: every task completes, every ledger entry is there once, every
journal holds one completed run. With SQLite on this machine, and with PostgreSQL."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from autan import batch
from autan.events import FinalAnswer, RunStarted
from autan.store import open_store
from batch_agents import Ledger, ledger_keys
from postgres_server import schema_url

pytest.importorskip("ray")

TASKS = [f"task {n}" for n in range(6)]


@pytest.fixture
def worker_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray's workers import this test's agent module: give them the tests' and src's paths."""
    here = Path(__file__).parent
    paths = [str(here.parent / "src"), str(here), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from schema_url()


def assert_exactly_once(store_location: str, out: Path, ledger: Path) -> None:
    import json

    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(x["id"] for x in lines) == sorted(f"line-{n + 1}" for n in range(len(TASKS)))
    assert {x["status"] for x in lines} == {"completed"}
    run_ids = {x["run_id"] for x in lines}
    assert Counter(ledger_keys(ledger)) == Counter(dict.fromkeys(run_ids, 1))
    with open_store(store_location) as store:
        for run_id in run_ids:
            events = store.load(run_id)
            assert sum(isinstance(e, RunStarted) for e in events) == 1
            assert sum(isinstance(e, FinalAnswer) for e in events) == 1


@pytest.mark.usefixtures("worker_path")
def test_a_killed_actor_is_restarted_and_no_side_effect_repeats(tmp_path: Path) -> None:
    ledger, out = tmp_path / "ledger", tmp_path / "out"
    summary = batch(TASKS, out, agent=Ledger(str(ledger), "worker"), workers=2, ray="auto")
    assert Path(f"{ledger}.killed").exists()
    assert summary.ok
    assert_exactly_once(str(out / "journal.sqlite3"), out, ledger)


@pytest.mark.usefixtures("worker_path")
def test_the_same_on_a_postgresql_journal(tmp_path: Path, postgres_url: str) -> None:
    ledger, out = tmp_path / "ledger", tmp_path / "out"
    summary = batch(
        TASKS, out, agent=Ledger(str(ledger), "worker"), workers=2, ray="auto", store=postgres_url
    )
    assert summary.ok
    assert_exactly_once(postgres_url, out, ledger)
