"""A task retried after its worker died on another machine (a Ray node) finds its run's lease
still live: the store cannot see a process on another machine exit, only its heartbeat age.
The retry waits until the lease is stale, then resumes; a holder that keeps renewing is alive,
and the task fails with ``RunInProgress``. (On one machine a dead holder is seen at once.)"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from autan import Agent
from autan.batching import BatchTask, WorkerSetup
from autan.batching._work import run_or_resume
from autan.errors import RunInProgress
from autan.store import LEASE_SECONDS, Holder, SQLiteStore
from autan.store._lease import new_token
from batch_agents import Ledger, attempts

TASK = BatchTask("t", "record it")
RUN = "batch-0123-run"


def finished_run(tmp_path: Path) -> WorkerSetup:
    setup = WorkerSetup(Ledger(str(tmp_path / "ledger")), str(tmp_path / "journal.sqlite3"))
    line = setup.build().perform(TASK, RUN)
    assert line.status == "completed"
    return setup


def held_on_another_machine(journal: Path, beat_seconds_ago: float) -> None:
    elsewhere = Holder(4242, "node-2", "a boot id and pid namespace not this machine's")
    with SQLiteStore(journal) as store:
        assert store.take_lease(RUN, new_token(), elsewhere, lambda lease: True) is None
    with sqlite3.connect(journal) as db:
        db.execute(
            "UPDATE leases SET heartbeat = heartbeat - ? WHERE run_id = ?", (beat_seconds_ago, RUN)
        )


def test_a_retry_waits_out_the_lease_of_a_worker_that_died_elsewhere(tmp_path: Path) -> None:
    setup = finished_run(tmp_path)
    held_on_another_machine(tmp_path / "journal.sqlite3", LEASE_SECONDS - 3)
    started = time.monotonic()
    line = setup.build().perform(TASK, RUN)
    waited = time.monotonic() - started
    assert (line.status, line.answer) == ("completed", "recorded"), line.error
    assert 2 < waited < LEASE_SECONDS
    assert attempts(tmp_path / "ledger") == [RUN]  # the finished run was not run again


def test_a_holder_still_renewing_is_alive_and_the_task_gives_up(tmp_path: Path) -> None:
    setup = finished_run(tmp_path)
    held_on_another_machine(tmp_path / "journal.sqlite3", 0)
    with SQLiteStore(tmp_path / "journal.sqlite3") as store:
        agent: Agent = setup.factory(store)
        started = time.monotonic()
        with pytest.raises(RunInProgress, match="node-2"):
            run_or_resume(agent, TASK, RUN, patience=1.0)
    assert 1.0 <= time.monotonic() - started < 5
