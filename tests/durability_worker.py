"""One process of the crash test: start a 10-step ledger run, or resume it where it stopped.

    python tests/durability_worker.py JOURNAL LEDGER TASK

JOURNAL is a SQLite file or a ``postgresql://`` URL.

A call whose key is already in the ledger is not written again; it is noted in LEDGER's
``.retries`` file instead, to count the kills that fell between an effect and its journaling.
Prints ``ready`` once its imports are done and the store is open, ``done RUN_ID`` at the end.
The parent kills it with SIGKILL at random points and starts it again until it prints ``done``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from autan import Agent, Limits, Tool, idempotency_key, tool
from autan.store import open_store
from autan.testing import ScriptedModel

STEPS = 10
SCRIPT = [("write_ledger", {"entry": f"step {n}"}) for n in range(1, STEPS + 1)] + ["written"]


def ledger_tool(ledger: Path) -> Tool:
    @tool(idempotent=True)
    def write_ledger(entry: str) -> str:
        """Append an entry to the ledger, once per idempotency key."""
        key = idempotency_key()
        seen = ledger.read_text().split("\n") if ledger.exists() else []
        done = any(line.startswith(f"{key} ") for line in seen)
        _append(ledger.with_suffix(".retries") if done else ledger, f"{key} {entry}\n")
        time.sleep(0.003)  # a window between the effect and the journaling of its result
        return f"wrote {entry}"

    return write_ledger


def _append(path: Path, line: str) -> None:
    """One ``write`` with O_APPEND: a kill leaves the line whole or absent."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)


def main(journal: str, ledger: str, task: str) -> None:
    store = open_store(journal)
    model = ScriptedModel(SCRIPT, by_step=True)
    limits = Limits(max_steps=STEPS + 1)
    agent = Agent(model, [ledger_tool(Path(ledger))], limits=limits, store=store)
    print("ready", flush=True)
    earlier = [r.run_id for r in store.runs() if r.config.get("task") == task]
    result = agent.resume(earlier[0]) if earlier else agent.run(task)
    print(f"done {result.run_id}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
