"""Batches on worker processes: every task once, a killed worker or batch costs nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from autan import Agent, SQLiteStore, batch
from autan.errors import ConfigurationError
from autan.events import FinalAnswer, RunStarted
from batch_agents import Ledger, ledger_keys

TASKS = [f"task {n}" for n in range(8)]


def results(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def assert_each_task_once(out: Path, ledger: Path, count: int) -> None:
    lines = results(out)
    assert sorted(str(r["id"]) for r in lines) == sorted(f"line-{n + 1}" for n in range(count))
    assert {r["status"] for r in lines} == {"completed"}
    run_ids = {str(r["run_id"]) for r in lines}
    assert Counter(ledger_keys(ledger)) == Counter(dict.fromkeys(run_ids, 1))
    with SQLiteStore(out / "journal.sqlite3") as store:
        tasks = {info.run_id for info in store.runs() if not info.run_id.startswith("batch-")}
        assert tasks == run_ids
        for run_id in run_ids:
            events = store.load(run_id)
            assert sum(isinstance(e, RunStarted) for e in events) == 1
            assert sum(isinstance(e, FinalAnswer) for e in events) == 1
            assert store.info(run_id).status == "completed"


def test_two_worker_processes_run_every_task_once(tmp_path: Path) -> None:
    summary = batch(TASKS, tmp_path / "out", agent=Ledger(str(tmp_path / "ledger")), workers=2)
    assert summary.ok
    assert summary.completed == len(TASKS)
    assert_each_task_once(tmp_path / "out", tmp_path / "ledger", len(TASKS))
    assert {r["answer"] for r in results(tmp_path / "out")} == {"recorded"}


def test_a_worker_killed_mid_task_loses_nothing_and_repeats_nothing(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    summary = batch(TASKS, tmp_path / "out", agent=Ledger(str(ledger), "worker"), workers=2)
    assert Path(f"{ledger}.killed").exists()  # a worker did die, after its append
    assert summary.ok
    assert_each_task_once(tmp_path / "out", ledger, len(TASKS))


def test_a_second_call_skips_finished_tasks(tmp_path: Path) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger"
    batch(TASKS[:3], out, agent=Ledger(str(ledger)), workers=1)
    summary = batch(TASKS, out, agent=Ledger(str(ledger)), workers=1)
    assert (summary.skipped, summary.completed) == (3, 5)
    assert_each_task_once(out, ledger, len(TASKS))


def test_a_batch_killed_with_sigkill_resumes_with_no_task_twice(tmp_path: Path) -> None:
    tasks_file, out, ledger = tmp_path / "tasks.jsonl", tmp_path / "out", tmp_path / "ledger"
    tasks_file.write_text("\n".join(TASKS) + "\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(Path("src").resolve()), os.environ.get("PYTHONPATH", "")]
        ),
        "AUTAN_TEST_LEDGER": str(ledger),
        "AUTAN_TEST_KILL": "batch",
        "AUTAN_TEST_KILL_ON": "5",
    }
    agent_file = str(Path(__file__).with_name("batch_agents.py"))
    command = [
        sys.executable,
        "-m",
        "autan",
        "batch",
        str(tasks_file),
        "--out",
        str(out),
        "--agent",
        agent_file,
        "--workers",
        "2",
    ]
    killed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    assert len(results(out)) < len(TASKS)
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "already done" in again.stderr
    assert_each_task_once(out, ledger, len(TASKS))


class Unbuildable:
    def __call__(self, store: object) -> Agent:
        raise ConfigurationError("no such tool")


def test_an_agent_that_cannot_be_built_is_an_error_line_per_task(tmp_path: Path) -> None:
    summary = batch(TASKS[:3], tmp_path / "out", agent=Unbuildable(), workers=2)
    assert summary.statuses == {"error": 3}
    errors = {str(r["error"]) for r in results(tmp_path / "out")}
    assert errors == {"the agent could not be built: ConfigurationError: no such tool"}
