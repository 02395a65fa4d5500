"""A cascade killed (SIGKILL) while its second tier runs resumes at that tier: tier 1 is not
run again, and tier 2's journaled steps are not repeated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from autan import TierEnded, TierStarted
from autan.store import open_store

WORKER = Path(__file__).with_name("cascade_worker.py")
SRC = Path(__file__).resolve().parent.parent / "src"


def _worker(journal: Path, marks: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(journal), str(marks)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )


def test_a_killed_cascade_resumes_at_the_tier_that_was_running(tmp_path: Path) -> None:
    journal, marks = tmp_path / "j.sqlite3", tmp_path / "marks"
    marks.mkdir()
    first = _worker(journal, marks)
    deadline = time.monotonic() + 60
    while not (marks / "waited").exists():
        assert first.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    with open_store(journal) as store:
        killed = [type(e) for e in store.load("crash")]
    assert killed == [TierStarted, TierEnded, TierStarted]
    assert (marks / "tier1").read_text() == "step 1\nstep 2\n"
    assert (marks / "tier2").read_text() == "step 1\n"

    second = _worker(journal, marks)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0
    assert out.strip() == "done done ['escalated', 'answered']"
    assert (marks / "tier1").read_text() == "step 1\nstep 2\n"  # tier 1 not run again
    assert (marks / "tier2").read_text() == "step 1\nstep 2\n"  # step 1 replayed, not asked
    with open_store(journal) as store:
        assert store.info("crash").status == "completed"
        assert store.info("crash-2").status == "completed"
