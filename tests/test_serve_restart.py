"""A server killed with SIGKILL mid-run, started again, completes the run from its journal:
nothing journaled is lost, no completed tool call runs again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx

from autan import ModelResponded, SQLiteStore, ToolResulted, ToolStarted
from serve_support import AUTH, start, wait_for
from serve_worker import STEPS

WORKER = Path(__file__).with_name("serve_worker.py")


def _server(journal: Path, ledger: Path) -> tuple[subprocess.Popen[str], str]:
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(journal), str(ledger)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": _pythonpath()},
    )
    assert worker.stdout is not None
    line = worker.stdout.readline().split()
    assert line[:1] == ["listening"], line
    base = f"http://127.0.0.1:{line[1]}"
    wait_for(lambda: _answers(base), "the server to answer")
    return worker, base


def _pythonpath() -> str:
    here = Path(__file__).parent
    return os.pathsep.join([str(here), str(here.parent / "src"), os.environ.get("PYTHONPATH", "")])


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/openapi.json").status_code == 200
    except httpx.TransportError:
        return False


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_sigkill_mid_run_then_restart_completes_the_run(tmp_path: Path) -> None:
    journal, ledger = tmp_path / "journal.sqlite3", tmp_path / "ledger.txt"
    worker, base = _server(journal, ledger)
    try:
        run_id = start(base, "write the ledger")
        wait_for(lambda: len(_lines(ledger)) >= 3, "three ledger lines")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    with SQLiteStore(journal) as store:
        before = store.load(run_id)
    assert before[-1].kind != "final_answer"

    worker, base = _server(journal, ledger)
    try:
        wait_for(
            lambda: (
                httpx.get(f"{base}/v1/runs/{run_id}", headers=AUTH).json()["status"] == "completed"
            ),
            "the resumed run to answer",
        )
        view = httpx.get(f"{base}/v1/runs/{run_id}", headers=AUTH).json()
    finally:
        worker.terminate()
        worker.wait()
    with SQLiteStore(journal) as store:
        after = store.load(run_id)
    assert after[: len(before)] == before  # nothing journaled was lost or rewritten
    assert view["answer"] == "written"
    assert Counter(e.step for e in after if isinstance(e, ModelResponded)) == Counter(
        range(1, STEPS + 2)
    )
    outputs = [e.output for e in after if isinstance(e, ToolResulted)]
    assert outputs == [f"wrote step {n}" for n in range(1, STEPS + 1)]
    keys = [line.split()[0] for line in _lines(ledger)]
    assert len(keys) == STEPS  # each effect once
    assert len(set(keys)) == STEPS
    finished = {e.call_id for e in before if isinstance(e, ToolResulted)}
    started_then = {
        e.key for e in before if isinstance(e, ToolStarted) and e.call_id not in finished
    }
    again = {line.split()[0] for line in _lines(ledger.with_suffix(".retries"))}
    assert again <= started_then  # only a call the kill cut off ran again, never a completed one


def test_a_stopped_server_leaves_its_runs_to_the_next_start(tmp_path: Path) -> None:
    """SIGTERM (a graceful stop) ends the run before its next effect without journaling an
    end: it is neither failed nor cancelled, and the next start finishes it."""
    journal, ledger = tmp_path / "journal.sqlite3", tmp_path / "ledger.txt"
    worker, base = _server(journal, ledger)
    run_id = start(base, "write the ledger")
    wait_for(lambda: len(_lines(ledger)) >= 2, "two ledger lines")
    worker.send_signal(signal.SIGTERM)
    worker.wait(30)
    with SQLiteStore(journal) as store:
        assert store.info(run_id).status == "interrupted"
    worker, base = _server(journal, ledger)
    try:
        wait_for(
            lambda: (
                httpx.get(f"{base}/v1/runs/{run_id}", headers=AUTH).json()["status"] == "completed"
            ),
            "the resumed run to answer",
        )
    finally:
        worker.terminate()
        worker.wait()
    keys = [line.split()[0] for line in _lines(ledger)]
    assert len(keys) == STEPS
    assert len(set(keys)) == STEPS
