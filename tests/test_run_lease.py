"""A run in progress holds a lease with a heartbeat: resume refuses it and says who holds it, a
crashed holder's lease is taken over, and two processes never append to one journal at once.
Real processes on a real SQLite file and (where one runs) a real PostgreSQL server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autan import Agent, RunInProgress, StoreError
from autan.store import Holder, Store, open_store
from autan.testing import ScriptedModel

WORKER = Path(__file__).parent / "lease_worker.py"
SRC = Path(__file__).resolve().parent.parent / "src"
CLEAN_RUN = [
    "run_started",
    "model_request",
    "model_response",
    "tool_call",
    "tool_started",
    "tool_result",
    "model_request",
    "model_response",
    "final_answer",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "journal.sqlite3")
        return
    from postgres_server import schema_url

    yield from schema_url()


def worker(journal: str, run_id: str, mode: str, gate: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), journal, run_id, mode, str(gate)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{Path(__file__).parent}"},
    )


def wait_for(journal: str, run_id: str, status: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open_store(journal) as store:
            known = [r for r in store.runs() if r.run_id == run_id]
            if known and known[0].status == status:
                return
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never became {status}")


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = process.communicate(timeout=60)
    return process.returncode, out.strip()


def kinds(journal: str, run_id: str) -> list[str]:
    with open_store(journal) as store:
        return [e.kind for e in store.load(run_id)]


def test_resume_of_a_run_in_progress_is_refused_and_names_its_process(
    journal: str, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    running = worker(journal, "r1", "run", gate)
    wait_for(journal, "r1", "running")
    with open_store(journal) as store:
        agent = Agent(ScriptedModel(["never asked"]), store=store)
        with pytest.raises(RunInProgress) as refused:
            agent.resume("r1")
        lease = store.info("r1").lease
    expected = f"run r1 is in progress (pid {running.pid}, host {socket.gethostname()}, last"
    assert str(refused.value).startswith(expected)
    assert str(refused.value).endswith("s ago)")
    assert lease is not None
    assert lease.holder.pid == running.pid
    gate.touch()
    assert finish(running) == (0, "done noted")
    assert kinds(journal, "r1") == CLEAN_RUN
    wait_for(journal, "r1", "completed")


def test_a_killed_run_is_interrupted_and_one_of_two_resumers_takes_it_over(
    journal: str, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    first = worker(journal, "r2", "run", gate)
    wait_for(journal, "r2", "running")
    first.send_signal(signal.SIGKILL)
    first.wait()
    wait_for(journal, "r2", "interrupted")  # its lease is left, but its process is gone
    resumers = [worker(journal, "r2", "resume", gate) for _ in range(2)]
    deadline = time.monotonic() + 60
    while all(process.poll() is None for process in resumers):  # the one refused exits
        assert time.monotonic() < deadline
        time.sleep(0.05)
    gate.touch()
    outcomes = sorted(finish(process) for process in resumers)
    assert outcomes[0] == (0, "done noted")
    assert outcomes[1][0] == 3
    assert outcomes[1][1].startswith("refused run r2 is in progress")
    assert kinds(journal, "r2") == CLEAN_RUN


def test_a_process_that_lost_its_lease_cannot_append(journal: str, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    running = worker(journal, "r3", "run", gate)
    wait_for(journal, "r3", "running")
    with open_store(journal) as store:
        before = len(store.load("r3"))
        thief = Holder(1, "elsewhere", "another machine")
        assert store.take_lease("r3", "stolen", thief, lambda lease: True) is None
        gate.touch()
        code, out = finish(running)
        assert code == 4
        assert out.startswith(f"error cannot append event {before} to run r3: another process")
        assert len(store.load("r3")) == before
        lease = store.info("r3").lease
    assert lease is not None
    assert lease.holder == thief


def test_a_lease_from_another_machine_is_live_until_its_heartbeat_is_stale(journal: str) -> None:
    with open_store(journal) as store:
        store.create_run("r4", {"task": "t"})
        elsewhere = Holder(os.getpid(), "elsewhere", "another machine")
        assert store.take_lease("r4", "theirs", elsewhere, lambda lease: True) is None
        assert store.info("r4").status == "running"
        with pytest.raises(RunInProgress, match=r"pid \d+, host elsewhere, last heartbeat 0s ago"):
            store.claim("r4")
        time.sleep(0.6)
        held = store.claim("r4", stale_after=0.5)
        lease = store.info("r4").lease
        assert lease is not None
        assert lease.holder == Holder.this_process()
        held.release()
        assert store.info("r4").lease is None
        assert store.info("r4").status == "interrupted"


def test_the_heartbeat_keeps_a_lease_young(journal: str) -> None:
    with open_store(journal) as store:
        store.create_run("r5", {"task": "t"})
        held = store.claim("r5")
        try:
            time.sleep(4.5)
            lease = store.info("r5").lease
            assert lease is not None
            assert lease.age < 3.0
            assert not held.lost
        finally:
            held.release()


def check_store(store: Store) -> None:
    """Appending without a lease (as ``store.decide`` does) is not fenced."""
    store.create_run("r6", {"task": "t"})
    from autan.events import RunStarted

    store.append("r6", 0, RunStarted("t", "m", ()))
    with pytest.raises(StoreError, match="another process took over"):
        store.append("r6", 1, RunStarted("t", "m", ()), lease="not the lease")


def test_unleased_appends_go_through_and_a_wrong_lease_is_refused(journal: str) -> None:
    with open_store(journal) as store:
        check_store(store)
