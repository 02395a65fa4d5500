"""The crash test: SIGKILL at seeded random points, resume in a new process, until done.

At the end every step is journaled exactly once, every side effect happened exactly once (the
ledger), and SQLite's integrity check passes. ``AUTAN_CRASH_KILLS`` raises the number of kills.
The same test runs against PostgreSQL with fewer kills (``AUTAN_CRASH_KILLS_POSTGRES``).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autan import ModelResponded, Store, ToolResulted
from autan.store import open_store
from postgres_server import schema_url

WORKER = Path(__file__).with_name("durability_worker.py")
STEPS = 10
KILLS = int(os.environ.get("AUTAN_CRASH_KILLS", "50"))
POSTGRES_KILLS = int(os.environ.get("AUTAN_CRASH_KILLS_POSTGRES", "20"))
SEED = 20240607


@dataclass
class Tally:
    kills: int = 0
    early_kills: int = 0
    completions: list[str] = field(default_factory=list)


def attempt(
    journal: str, ledger: Path, task: str, rng: random.Random, tally: Tally, window: float
) -> bool:
    """Start a worker and maybe kill it; True when it finished its run."""
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), journal, str(ledger), task],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    early = rng.random() < 0.15  # now and then, during start-up and the opening of the store
    if early:
        time.sleep(rng.uniform(0.0, 0.2))
    else:
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, window))
    if worker.poll() is None:
        worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.stderr is not None
    stdout, stderr = worker.stdout.read(), worker.stderr.read()
    if worker.returncode == -signal.SIGKILL:
        tally.kills += 1
        tally.early_kills += early
        return False
    assert worker.returncode == 0, stderr
    tally.completions.append(stdout.split()[-1])
    return True


def check_run(store: Store, run_id: str, ledger: Path) -> None:
    events = store.load(run_id)
    responses = Counter(e.step for e in events if isinstance(e, ModelResponded))
    assert responses == Counter(range(1, STEPS + 2))  # each step once, then the answer
    results = [e for e in events if isinstance(e, ToolResulted)]
    assert [e.output for e in results] == [f"wrote step {n}" for n in range(1, STEPS + 1)]
    assert events[-1].kind == "final_answer"
    lines = [line for line in ledger.read_text().splitlines() if line.startswith(run_id)]
    expected = [f"{run_id}:{n}:0 step {n}" for n in range(1, STEPS + 1)]
    assert sorted(lines) == sorted(expected)  # every side effect exactly once


def crash_and_resume(journal: str, ledger: Path, kills: int, window: float = 0.05) -> Tally:
    """Kill workers until ``kills`` kills; resume each run until it answers; check every run.

    A worker that is not killed early gets up to ``window`` seconds after it is ready; each
    kill of the same run doubles that, so a run ends even where a loaded machine makes every
    step slower than the first window.
    """
    rng = random.Random(SEED)
    tally = Tally()
    run = 0
    while tally.kills < kills:
        run += 1
        tries = 0
        while not attempt(journal, ledger, f"ledger run {run}", rng, tally, window * 2**tries):
            tries += 1
    with open_store(journal) as store:
        assert len(tally.completions) == run == len(store.runs())
        for run_id in tally.completions:
            check_run(store, run_id, ledger)
    return tally


def test_runs_survive_sigkill_at_random_points(tmp_path: Path) -> None:
    journal, ledger = tmp_path / "journal.sqlite3", tmp_path / "ledger.txt"
    tally = crash_and_resume(str(journal), ledger, KILLS)
    run = len(tally.completions)
    with sqlite3.connect(journal) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    retries = ledger.with_suffix(".retries")
    retried = len(retries.read_text().splitlines()) if retries.exists() else 0
    print(
        f"{tally.kills} kills ({tally.early_kills} during start-up), {run} runs completed, "
        f"{retried} calls re-run after a kill between their effect and its journaling"
    )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from schema_url()


def test_runs_survive_sigkill_at_random_points_on_postgres(
    postgres_url: str, tmp_path: Path
) -> None:
    # A PostgreSQL commit waits for the WAL flush: slower steps, so a wider kill window.
    tally = crash_and_resume(postgres_url, tmp_path / "ledger.txt", POSTGRES_KILLS, window=0.2)
    print(f"{tally.kills} kills on PostgreSQL, {len(tally.completions)} runs completed")
