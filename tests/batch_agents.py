"""Agents for the batch tests, importable by worker processes and Ray actors.

Each run calls ``ledger`` once, then answers. ``ledger`` appends the call's idempotency key to a
file unless the key is there already: a side effect that must happen exactly once per task.
``Ledger(..., kill=...)`` also kills a process (its own worker, or the batch) with SIGKILL right
after its first append, before the result is journaled: the worst moment for a crash.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from autan import Agent, Store, idempotency_key, tool
from autan.testing import ScriptedModel

Kill = Literal["none", "worker", "batch"]


@dataclass(frozen=True)
class Ledger:
    """A factory of ledger agents (it pickles: worker processes and Ray actors build it)."""

    path: str
    kill: Kill = "none"
    kill_on: int = 2
    """Kill at the ``kill_on``-th append of the whole batch, once."""
    delay: float = 0.0
    """Seconds each call of the tool takes, for batches that must overlap."""
    hang_after: int = 0
    """At this process's ``hang_after``-th append, write ``PATH.hung`` (this process's id) and
    hang, for a test to kill this worker's whole node mid-task (0: never)."""

    def __call__(self, store: Store) -> Agent:
        ledger = self

        @tool(idempotent=True)
        def record(entry: str) -> str:
            """Record an entry in the ledger."""
            time.sleep(ledger.delay)
            return ledger.append(entry)

        model = ScriptedModel([("record", {"entry": "x"}), "recorded"], by_step=True)
        return Agent(model, [record], store=store)

    def append(self, entry: str) -> str:
        key = idempotency_key() or "no key"
        with open(self.path + ".attempts", "a", encoding="utf-8") as attempts:
            attempts.write(f"{key}\n")  # every call, a repeat too: one line, one write
        with open(self.path, "a+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.seek(0)
            lines = file.read().splitlines()
            if any(line.split(" ")[0] == key for line in lines):
                return "already recorded"
            file.write(f"{key} {entry}\n")
            file.flush()
            os.fsync(file.fileno())
            count = len(lines) + 1
        if self.kill != "none" and count == self.kill_on and self._first_kill():
            os.kill(os.getpid() if self.kill == "worker" else os.getppid(), signal.SIGKILL)
        _APPENDED_HERE.append(key)
        if len(_APPENDED_HERE) == self.hang_after:
            Path(self.path + ".hung").write_text(f"{os.getpid()} {key}\n")
            time.sleep(300)
        return "recorded"

    def _first_kill(self) -> bool:
        try:
            os.close(os.open(self.path + ".killed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True


_APPENDED_HERE: list[str] = []
"""The entries this process appended."""


def attempts(path: Path) -> list[str]:
    """The run ids of every call of the ledger's tool, repeats included."""
    lines = Path(f"{path}.attempts").read_text().splitlines()
    return [line.rsplit(":", 2)[0] for line in lines]


def ledger_keys(path: Path) -> list[str]:
    """The run ids of the ledger's entries, one per append."""
    if not path.exists():
        return []
    return [line.split(" ")[0].rsplit(":", 2)[0] for line in path.read_text().splitlines()]


def make_agent(store: Store) -> Agent:
    """For ``autan batch --agent tests/batch_agents.py``: the ledger of ``$AUTAN_TEST_LEDGER``."""
    wanted = os.environ.get("AUTAN_TEST_KILL")
    kill: Kill = "batch" if wanted == "batch" else "worker" if wanted == "worker" else "none"
    return Ledger(
        os.environ["AUTAN_TEST_LEDGER"],
        kill,
        int(os.environ.get("AUTAN_TEST_KILL_ON", "2")),
        float(os.environ.get("AUTAN_TEST_DELAY", "0")),
        int(os.environ.get("AUTAN_TEST_HANG_AFTER", "0")),
    )(store)


@dataclass(frozen=True)
class CpuProbe:
    """A ``Setup`` whose workers report, per task, the process, the CPUs it may run on and the
    threads an embedded model built in the worker would take (no model file is loaded)."""

    delay: float = 0.0

    def build(self) -> CpuProbe.Performer:
        from autan.models.llama import LlamaModel

        return CpuProbe.Performer(self.delay, LlamaModel(Path("unloaded.gguf"), "probe").n_threads)

    def failed(self, task_id: str, error: str) -> dict[str, object]:
        return {"task": task_id, "error": error}

    @dataclass(frozen=True)
    class Performer:
        delay: float
        model_threads: int

        def perform(self, task: object, run_id: str) -> dict[str, object]:
            time.sleep(self.delay)  # so that every worker gets tasks
            return {
                "pid": os.getpid(),
                "cpus": sorted(os.sched_getaffinity(0)),
                "model_threads": self.model_threads,
                "niceness": os.nice(0),
            }

        def close(self) -> None:
            return None
