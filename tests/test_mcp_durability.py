"""SIGKILL at random points of runs whose every step is an MCP call; resumed in new processes
(new connections), each call's effect happens once and each result is journaled once."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from autan import Event, ModelResponded, ToolResulted
from autan.store import open_store

WORKER = Path(__file__).with_name("mcp_durability_worker.py")
STEPS = 10
KILLS = 8


def attempt(journal: Path, ledger: Path, task: str, kill_after: float | None) -> str | None:
    """Start a worker, kill it ``kill_after`` seconds after it is ready; the run id when it
    finished first."""
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(journal), str(ledger), task],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stderr is not None
    assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
    if kill_after is not None:
        time.sleep(kill_after)
    if kill_after is not None and worker.poll() is None:
        worker.send_signal(signal.SIGKILL)
    worker.wait()
    done = [
        line.split()[1] for line in worker.stdout.read().splitlines() if line.startswith("done")
    ]
    if done:  # finished (a kill may still land while it closes its connection)
        return done[0]
    assert worker.returncode == -signal.SIGKILL, worker.stderr.read()
    return None


def test_mcp_calls_survive_sigkill_neither_repeated_nor_lost(tmp_path: Path) -> None:
    journal, ledger = tmp_path / "journal.sqlite3", tmp_path / "ledger.txt"
    rng = random.Random(20261201)
    kills, mid_run, finished = 0, 0, []
    while kills < KILLS:
        task, done = f"mcp ledger run {len(finished) + 1}", None
        while done is None:
            done = attempt(journal, ledger, task, rng.uniform(0.0, 0.4))
            kills += done is None
            mid_run += done is None and 0 < len(calls_of(ledger, task, journal)) < STEPS
        finished.append(done)
    assert mid_run > 0  # some kills fell between the calls of a run
    with open_store(journal) as store:
        for run_id in finished:
            check(store.load(run_id), run_id, ledger)
    print(f"{kills} kills, {mid_run} in the middle of a run, {len(finished)} runs")


def check(events: list[Event], run_id: str, ledger: Path) -> None:
    responses = Counter(e.step for e in events if isinstance(e, ModelResponded))
    assert responses == Counter(range(1, STEPS + 2))
    results = [e.output for e in events if isinstance(e, ToolResulted)]
    assert results == [f'{{"result":"recorded step {n}"}}' for n in range(1, STEPS + 1)]
    lines = [line for line in ledger.read_text().splitlines() if line.startswith(run_id)]
    assert sorted(lines) == sorted(f"{run_id}:{n}:0 step {n}" for n in range(1, STEPS + 1))


def calls_of(ledger: Path, task: str, journal: Path) -> list[str]:
    """The ledger lines of the run of ``task`` (none before its run exists)."""
    with open_store(journal) as store:
        ids = [r.run_id for r in store.runs() if r.config.get("task") == task]
    lines = ledger.read_text().splitlines() if ledger.exists() else []
    return [line for line in lines if ids and line.startswith(ids[0])]
