"""A Ray cluster on loopback loses a whole worker node mid-batch, and the batch still finishes:
every task done exactly once in the results, every side effect once, every journal one
completed run. The head (2 CPUs) and a worker node (1 CPU) are joined by ``ray start``; the
batch spreads its 2 actors over both. On the worker node the ledger hangs at its second append
(after the side effect, before the result is journaled); the test then kills the node's every
process with SIGKILL. Ray restarts the actor on the head and retries its task, which resumes
from the journal: the call that had started runs again with the same idempotency key (the
ledger sees a repeat and records nothing), and the task the node had finished is not run
again."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from autan.events import FinalAnswer, RunStarted
from autan.store import open_store
from batch_agents import attempts, ledger_keys
from test_batch_ray_cluster import HERE, cluster_env, free_ports, head_node, start_node, stop_node

pytest.importorskip("ray")

TASKS = [f"task {n}" for n in range(8)]
NODE_PORT_OPTIONS = (
    "--node-manager-port",
    "--object-manager-port",
    "--dashboard-agent-grpc-port",
    "--dashboard-agent-listen-port",
    "--metrics-export-port",
    "--runtime-env-agent-port",
)
FAST_DEATH = {"RAY_health_check_period_ms": "1000", "RAY_health_check_failure_threshold": "3"}
"""The head takes a silent node for dead in seconds (Ray's default is tens of seconds)."""


def worker_node(address: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    options = ["--address", address, "--num-cpus", "1"]
    for option, port in zip(NODE_PORT_OPTIONS, free_ports(len(NODE_PORT_OPTIONS)), strict=True):
        options += [option, str(port)]
    return start_node(options, env)


WAIT_FOR_NODES = """
import os, sys, time, ray
ray.init(address=os.environ["RAY_ADDRESS"], log_to_driver=False)
deadline = time.monotonic() + float(sys.argv[2])
while sum(node["Alive"] for node in ray.nodes()) < int(sys.argv[1]):
    assert time.monotonic() < deadline, ray.nodes()
    time.sleep(0.5)
"""


def wait_for_nodes(address: str, count: int, env: dict[str, str], seconds: float) -> None:
    """Until ``count`` nodes are alive in the cluster (a node registers a while after it
    starts), asked by a Ray driver of its own."""
    command = [sys.executable, "-c", WAIT_FOR_NODES, str(count), str(seconds)]
    joined = subprocess.run(
        command,
        env={**env, "RAY_ADDRESS": address},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    assert joined.returncode == 0, f"the worker node never joined: {joined.stderr[-2000:]}"


def wait_for_hang(hung: Path, batch: subprocess.Popen[str], seconds: float) -> tuple[int, str]:
    """The process id and idempotency key of the call hanging on the worker node."""
    deadline = time.monotonic() + seconds
    while not (hung.exists() and hung.read_text().endswith("\n")):
        if batch.poll() is not None:
            _, err = batch.communicate()
            raise AssertionError(f"the batch ended with no task hung on the worker node: {err}")
        assert time.monotonic() < deadline, "no task hung on the worker node"
        time.sleep(0.2)
    pid, key = hung.read_text().split()
    return int(pid), key


def kill_node(node: subprocess.Popen[bytes], actor_pid: int) -> None:
    """SIGKILL to the node's raylet and everything in its process group, and to the actor."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(node.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(actor_pid, signal.SIGKILL)
    node.wait(timeout=30)


def test_a_batch_survives_the_death_of_a_worker_node(tmp_path: Path) -> None:
    tasks_file, out, ledger = tmp_path / "tasks.jsonl", tmp_path / "out", tmp_path / "ledger"
    tasks_file.write_text("\n".join(TASKS) + "\n")
    env = {**cluster_env(), "AUTAN_TEST_LEDGER": str(ledger), "AUTAN_TEST_DELAY": "1"}
    command = [sys.executable, "-m", "autan", "batch", str(tasks_file), "--out", str(out)]
    command += ["--agent", str(HERE / "batch_agents.py"), "--workers", "2"]
    with head_node(2, {**env, **FAST_DEATH}) as address:
        node = worker_node(address, {**env, "AUTAN_TEST_HANG_AFTER": "2"})
        try:
            wait_for_nodes(address, 2, env, 120)
            batch = subprocess.Popen(
                [*command, "--ray", address], env=env, stderr=subprocess.PIPE, text=True
            )
            actor_pid, hung_key = wait_for_hang(Path(f"{ledger}.hung"), batch, 240)
            kill_node(node, actor_pid)
            assert len(results(out)) < len(TASKS)  # mid-batch
            _, err = batch.communicate(timeout=300)
            assert batch.returncode == 0, err[-3000:]
        finally:
            stop_node(node)
    assert_each_task_once(out, ledger, hung_key.rsplit(":", 2)[0])


def results(out: Path) -> list[dict[str, object]]:
    path = out / "results.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


def assert_each_task_once(out: Path, ledger: Path, hung_run: str) -> None:
    lines = results(out)
    assert sorted(str(x["id"]) for x in lines) == [f"line-{n + 1}" for n in range(len(TASKS))]
    assert {x["status"] for x in lines} == {"completed"}
    run_ids = {str(x["run_id"]) for x in lines}
    assert Counter(ledger_keys(ledger)) == Counter(dict.fromkeys(run_ids, 1))
    tries = Counter(attempts(ledger))
    assert tries[hung_run] == 2  # the call the node died in, run again with its key
    assert tries - Counter({hung_run: 1}) == Counter(dict.fromkeys(run_ids, 1))
    with open_store(str(out / "journal.sqlite3")) as store:
        for run_id in run_ids:
            events = store.load(run_id)
            assert sum(isinstance(e, RunStarted) for e in events) == 1
            assert sum(isinstance(e, FinalAnswer) for e in events) == 1
            assert store.info(run_id).status == "completed"
