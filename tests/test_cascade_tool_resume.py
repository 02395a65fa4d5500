"""A lead agent killed (SIGKILL) while its cascade tool's second tier runs resumes the cascade
as its call's child run: tier 1 is not run again, tier 2's journaled step is not repeated, and
no new cascade is started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from autan import TierEnded, TierStarted, ToolResulted
from autan.store import open_store

WORKER = Path(__file__).with_name("cascade_tool_worker.py")
SRC = Path(__file__).resolve().parent.parent / "src"


def _worker(journal: Path, marks: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(journal), str(marks)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )


def test_a_killed_lead_resumes_its_cascade_tool_at_the_tier_that_was_running(
    tmp_path: Path,
) -> None:
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
        killed = [type(e) for e in store.load("crash:1:0")]
        assert not any(isinstance(e, ToolResulted) for e in store.load("crash"))
    assert killed == [TierStarted, TierEnded, TierStarted]
    assert (marks / "tier2").read_text() == "step 1\n"

    second = _worker(journal, marks)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0
    assert out.strip() == "done the solver did it"
    assert (marks / "tier1").read_text() == "step 1\nstep 2\n"  # tier 1 not run again
    assert (marks / "tier2").read_text() == "step 1\nstep 2\n"  # step 1 replayed, not asked
    with open_store(journal) as store:
        runs = {info.run_id for info in store.runs()}
        assert runs == {"crash", "crash:1:0", "crash:1:0-1", "crash:1:0-2"}
        assert store.info("crash").status == "completed"
        (result,) = [e for e in store.load("crash") if isinstance(e, ToolResulted)]
    assert result.output == "done"
    assert result.child is not None
    assert result.child.run_id == "crash:1:0"
    assert result.child.model_calls == 4
