"""Two ``autan batch`` processes on one directory: the second is refused while the first runs,
so no task runs twice (the batch holds its directory's lease in the journal)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from test_batch_local import TASKS, assert_each_task_once, results


def batch_command(tasks_file: Path, out: Path) -> list[str]:
    agent_file = str(Path(__file__).with_name("batch_agents.py"))
    command = [sys.executable, "-m", "autan", "batch", str(tasks_file), "--out", str(out)]
    return [*command, "--agent", agent_file]


def batch_env(ledger: Path, delay: float) -> dict[str, str]:
    source = os.pathsep.join([str(Path("src").resolve()), os.environ.get("PYTHONPATH", "")])
    return {
        **os.environ,
        "PYTHONPATH": source,
        "AUTAN_TEST_LEDGER": str(ledger),
        "AUTAN_TEST_DELAY": str(delay),
    }


def wait_for(path: Path, deadline: float) -> None:
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.05)


def test_a_second_batch_on_a_running_directory_is_refused(tmp_path: Path) -> None:
    tasks_file, out, ledger = tmp_path / "tasks.jsonl", tmp_path / "out", tmp_path / "ledger"
    tasks_file.write_text("\n".join(TASKS) + "\n")
    env = batch_env(ledger, delay=1.0)
    first = subprocess.Popen(
        batch_command(tasks_file, out), env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(ledger, time.monotonic() + 120)  # the first batch is running its tasks
        second = subprocess.run(
            batch_command(tasks_file, out), env=env, capture_output=True, text=True, timeout=120
        )
        assert first.poll() is None, "the first batch ended before the second was tried"
        assert second.returncode == 2, second.stderr
        assert "another batch is running" in second.stderr
        assert "Traceback" not in second.stderr
        _, first_err = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 0, first_err
    assert_each_task_once(out, ledger, len(TASKS))


def test_two_batches_started_together_run_every_task_once(tmp_path: Path) -> None:
    tasks_file, out, ledger = tmp_path / "tasks.jsonl", tmp_path / "out", tmp_path / "ledger"
    tasks_file.write_text("\n".join(TASKS) + "\n")
    env = batch_env(ledger, delay=0.3)
    both = [
        subprocess.Popen(batch_command(tasks_file, out), env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    codes = [process.wait(timeout=300) for process in both]
    assert 0 in codes, [p.stderr.read() for p in both if p.stderr]
    assert set(codes) <= {0, 2}
    if codes == [0, 0]:  # the second started after the first had finished: it skipped them all
        assert len(results(out)) == len(TASKS)
    assert_each_task_once(out, ledger, len(TASKS))
