"""SIGKILL while a child run (``Agent.as_tool``) runs, then resume the parent in a new process:
the child is resumed, not started again, and none of its completed steps is repeated."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from autan.events import ModelResponded, ToolResulted
from autan.store import open_store
from team_worker import STEPS

WORKER = Path(__file__).with_name("team_worker.py")


def start(journal: Path, ledger: Path) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(journal), str(ledger)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    return worker


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def kill_when_asked(worker: subprocess.Popen[str], asked: Path, steps: int) -> None:
    deadline = time.monotonic() + 60
    while len(lines(asked)) < steps and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL


def test_a_sigkill_while_a_child_runs_resumes_the_child(tmp_path: Path) -> None:
    journal, ledger = tmp_path / "journal.sqlite3", tmp_path / "ledger.txt"
    asked = ledger.with_suffix(".asked")
    kill_when_asked(start(journal, ledger), asked, 4)
    with open_store(str(journal)) as store:
        (parent_id,) = [r.run_id for r in store.runs() if "parent" not in r.config]
        child_id = f"{parent_id}:1:0"
        before = store.load(child_id)
        assert before[-1].kind != "final_answer"  # killed while the child ran
        assert not any(isinstance(e, ToolResulted) for e in store.load(parent_id))
    done = {e.step for e in before if isinstance(e, ModelResponded)}
    assert done  # at least one completed child step to keep
    asked_before = len(lines(asked))

    worker = start(journal, ledger)
    stdout, stderr = worker.communicate(timeout=120)
    assert worker.returncode == 0, stderr
    assert stdout.split() == ["done", parent_id]

    asked_again = {int(step) for step in lines(asked)[asked_before:]}
    assert asked_again.isdisjoint(done)  # no completed child step was asked again
    with open_store(str(journal)) as store:
        assert {r.run_id for r in store.runs()} == {parent_id, child_id}  # resumed, not restarted
        child_events = store.load(child_id)
        responses = Counter(e.step for e in child_events if isinstance(e, ModelResponded))
        assert responses == Counter(range(1, STEPS + 2))
        (result,) = [e for e in store.load(parent_id) if isinstance(e, ToolResulted)]
    assert result.output == "filed"
    assert result.child is not None
    assert result.child.run_id == child_id
    assert result.child.model_calls == STEPS + 1
    written = [line for line in lines(ledger) if line.startswith(child_id)]
    assert sorted(written) == sorted(f"{child_id}:{n}:0 step {n}" for n in range(1, STEPS + 1))
