"""``autan runs show --follow ID`` on a real pseudo-terminal: it prints a run's events as
another process journals them and ends with the run; Ctrl-C stops the watching, not the run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pexpect

from autan.store import open_store

TESTS = Path(__file__).parent
SRC = TESTS.parent / "src"
ENV = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}"}


def gated_run(journal: Path, run_id: str, gate: Path) -> subprocess.Popen[str]:
    command = [sys.executable, str(TESTS / "lease_worker.py"), str(journal), run_id, "run"]
    process = subprocess.Popen([*command, str(gate)], stdout=subprocess.PIPE, text=True, env=ENV)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.exists():
            with open_store(journal) as store:
                runs = store.runs()
            if runs and runs[0].status == "running":
                return process
        time.sleep(0.05)
    raise AssertionError("the run never started")


def follow(journal: Path, run_id: str) -> pexpect.spawn:
    argv = ["-m", "autan", "runs", "--store", str(journal), "show", "--follow", run_id]
    return pexpect.spawn(sys.executable, argv, env=ENV, encoding="utf-8", timeout=60)


def test_follow_prints_events_as_they_come_and_ends_with_the_run(tmp_path: Path) -> None:
    journal, gate = tmp_path / "journal.sqlite3", tmp_path / "gate"
    worker = gated_run(journal, "f1", gate)
    watcher = follow(journal, "f1")
    watcher.expect("f1  .*  running ")
    time.sleep(0.5)
    assert watcher.isalive()  # the run waits on its model: nothing to print, nothing ends
    gate.touch()
    watcher.expect(r"note\(text='one'\)")
    watcher.expect("answer: noted")
    watcher.expect("steps 2 · model calls 2 · tool calls 1")
    watcher.expect(pexpect.EOF)
    watcher.close()
    assert watcher.exitstatus == 0
    assert worker.wait(timeout=60) == 0


def test_ctrl_c_stops_watching_and_the_run_goes_on(tmp_path: Path) -> None:
    journal, gate = tmp_path / "journal.sqlite3", tmp_path / "gate"
    worker = gated_run(journal, "f2", gate)
    watcher = follow(journal, "f2")
    watcher.expect("f2  .*  running ")
    time.sleep(0.3)
    watcher.sendintr()
    watcher.expect("autan: interrupted \\(stopped watching; run f2 goes on: autan runs --store ")
    watcher.expect(pexpect.EOF)
    assert "Traceback" not in (watcher.before or "")
    watcher.close()
    assert watcher.exitstatus == 130
    assert worker.poll() is None
    gate.touch()
    out, _ = worker.communicate(timeout=60)
    assert out.strip() == "done noted"


def test_follow_of_an_ended_run_prints_it_and_returns(tmp_path: Path) -> None:
    journal, gate = tmp_path / "journal.sqlite3", tmp_path / "gate"
    gate.touch()
    worker = subprocess.run(
        [sys.executable, str(TESTS / "lease_worker.py"), str(journal), "f3", "run", str(gate)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 0
    watcher = follow(journal, "f3")
    watcher.expect("f3  .*  completed ")
    watcher.expect("answer: noted")
    watcher.expect(pexpect.EOF)
    watcher.close()
    assert watcher.exitstatus == 0
