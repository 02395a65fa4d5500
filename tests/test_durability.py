"""The crash test: SIGKILL at seeded random points, resume in a new process, until done.

At the end every step is journaled exactly once, every side effect happened exactly once (the
ledger), and SQLite's integrity check passes. ``AUTAN_CRASH_KILLS`` raises the number of kills.
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
from dataclasses import dataclass, field
from pathlib import Path

from autan import ModelResponded, SQLiteStore, ToolResulted

WORKER = Path(__file__).with_name("durability_worker.py")
STEPS = 10
KILLS = int(os.environ.get("AUTAN_CRASH_KILLS", "50"))
SEED = 20240607


@dataclass
class Tally:
    kills: int = 0
    early_kills: int = 0
    completions: list[str] = field(default_factory=list)


def attempt(journal: Path, ledger: Path, task: str, rng: random.Random, tally: Tally) -> bool:
    """Start a worker and maybe kill it; True when it finished its run."""
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(journal), str(ledger), task],
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
        time.sleep(rng.uniform(0.0, 0.05))
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


def check_run(store: SQLiteStore, run_id: str, ledger: Path) -> None:
    events = store.load(run_id)
    responses = Counter(e.step for e in events if isinstance(e, ModelResponded))
    assert responses == Counter(range(1, STEPS + 2))  # each step once, then the answer
    results = [e for e in events if isinstance(e, ToolResulted)]
    assert [e.output for e in results] == [f"wrote step {n}" for n in range(1, STEPS + 1)]
    assert events[-1].kind == "final_answer"
    lines = [line for line in ledger.read_text().splitlines() if line.startswith(run_id)]
    expected = [f"{run_id}:{n}:0 step {n}" for n in range(1, STEPS + 1)]
    assert sorted(lines) == sorted(expected)  # every side effect exactly once


def test_runs_survive_sigkill_at_random_points(tmp_path: Path) -> None:
    journal, ledger = tmp_path / "journal.sqlite3", tmp_path / "ledger.txt"
    rng = random.Random(SEED)
    tally = Tally()
    run = 0
    while tally.kills < KILLS:
        run += 1
        while not attempt(journal, ledger, f"ledger run {run}", rng, tally):
            pass
    store = SQLiteStore(journal)
    assert len(tally.completions) == run == len(store.runs())
    for run_id in tally.completions:
        check_run(store, run_id, ledger)
    with sqlite3.connect(journal) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    retries = ledger.with_suffix(".retries")
    retried = len(retries.read_text().splitlines()) if retries.exists() else 0
    print(
        f"{tally.kills} kills ({tally.early_kills} during start-up), {run} runs completed, "
        f"{retried} calls re-run after a kill between their effect and its journaling"
    )
