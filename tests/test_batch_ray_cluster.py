"""``autan batch --ray ADDRESS`` against a real Ray cluster on loopback, started by ``ray start
--head`` in its own temp dir and on its own ports (so it never meets another Ray instance on
this machine) and stopped by killing its process group. An actor's worker process is killed
with SIGKILL right after its tool's side effect: Ray restarts it, retries the task, and the
journal makes the retry exactly once."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_batch_ray import TASKS, assert_exactly_once

pytest.importorskip("ray")

HERE = Path(__file__).parent
PORT_OPTIONS = (
    "--port",
    "--dashboard-port",
    "--node-manager-port",
    "--object-manager-port",
    "--dashboard-agent-grpc-port",
    "--dashboard-agent-listen-port",
    "--metrics-export-port",
    "--runtime-env-agent-port",
)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


TOKEN = secrets.token_hex(32)
"""The cluster's own token (not ``~/.ray/auth_token``, which other Ray instances share)."""


def cluster_env() -> dict[str, str]:
    """Ray's workers import the tests' agent module (the tests' and src's paths); the head and
    the batch share the cluster's token."""
    paths = [str(HERE.parent / "src"), str(HERE), os.environ.get("PYTHONPATH", "")]
    pythonpath = os.pathsep.join(p for p in paths if p)
    return {
        **os.environ,
        "PYTHONPATH": pythonpath,
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": TOKEN,
    }


def ledger_env(ledger: Path) -> dict[str, str]:
    return {"AUTAN_TEST_LEDGER": str(ledger), "AUTAN_TEST_KILL": "worker"}


def wait_until_listening(port: int, head: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert head.poll() is None, "ray start --head exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the Ray head never listened on {port}")


def start_node(options: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``ray start --block`` in a session of its own (its group is the node's processes)."""
    command = [str(Path(sys.executable).with_name("ray")), "start", "--block", *options]
    command += ["--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    return subprocess.Popen(
        command,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_node(node: subprocess.Popen[bytes]) -> None:
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(node.pid, sent)
        except ProcessLookupError:
            break
        try:
            node.wait(timeout=20)
            time.sleep(1)
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def head_node(cpus: int, env: dict[str, str]) -> Iterator[str]:
    """A Ray head node on loopback with ``cpus`` CPUs, its own temp dir and ports; yields its
    address. Its actors run in ``env``."""
    ports = free_ports(len(PORT_OPTIONS))
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths are limited
    options = ["--head", "--num-cpus", str(cpus), "--temp-dir", temp]
    options += ["--include-dashboard", "false"]
    for option, port in zip(PORT_OPTIONS, ports, strict=True):
        options += [option, str(port)]
    head = start_node(options, env)
    try:
        wait_until_listening(ports[0], head, 120)
        time.sleep(2)  # the raylet registers with the GCS after it listens
        yield f"127.0.0.1:{ports[0]}"
    finally:
        stop_node(head)


@pytest.fixture
def ray_head(tmp_path: Path) -> Iterator[str]:
    """The address of a Ray head node with 2 CPUs whose actors' ledger is ``tmp_path/ledger``
    and whose first append kills its process."""
    with head_node(2, {**cluster_env(), **ledger_env(tmp_path / "ledger")}) as address:
        yield address


def test_a_batch_on_a_ray_cluster_survives_a_killed_worker(tmp_path: Path, ray_head: str) -> None:
    tasks_file, out, ledger = tmp_path / "tasks.jsonl", tmp_path / "out", tmp_path / "ledger"
    tasks_file.write_text("\n".join(TASKS) + "\n")
    env = {**cluster_env(), **ledger_env(ledger)}
    command = [sys.executable, "-m", "autan", "batch", str(tasks_file), "--out", str(out)]
    command += ["--agent", str(HERE / "batch_agents.py"), "--workers", "2", "--ray", ray_head]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert Path(f"{ledger}.killed").exists()  # an actor's process did die, after its append
    assert_exactly_once(str(out / "journal.sqlite3"), out, ledger)
