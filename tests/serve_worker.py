"""One ``autan serve``-like process for the crash test: the app over JOURNAL with a ledger tool
(each step writes one line, once per idempotency key), on a free loopback port.

    python tests/serve_worker.py JOURNAL LEDGER

Prints ``listening PORT`` once it accepts connections. The parent kills it with SIGKILL mid-run
and starts it again: on start the server resumes the runs it was executing.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import uvicorn

from autan import Tool, idempotency_key, tool
from autan.serve import ServeOptions, create_app
from autan.store import open_store
from serve_support import TOKEN, ScriptedAgents

STEPS = 6
SCRIPT = [("write_ledger", {"entry": f"step {n}"}) for n in range(1, STEPS + 1)] + ["written"]


def ledger_tool(ledger: Path) -> Tool:
    @tool(idempotent=True)
    def write_ledger(entry: str) -> str:
        """Append an entry to the ledger, once per idempotency key."""
        key = idempotency_key()
        seen = ledger.read_text().split("\n") if ledger.exists() else []
        done = any(line.startswith(f"{key} ") for line in seen)
        _append(ledger.with_suffix(".retries") if done else ledger, f"{key} {entry}\n")
        time.sleep(0.15)  # a window between the effect and the journaling of its result
        return f"wrote {entry}"

    return write_ledger


def _append(path: Path, line: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)


def main(journal: str, ledger: str) -> None:
    store = open_store(journal)
    agents = ScriptedAgents(SCRIPT, [ledger_tool(Path(ledger))])
    app = create_app(store, agents, ServeOptions(token=TOKEN))
    listening = socket.create_server(("127.0.0.1", 0))
    print(f"listening {listening.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[listening])


if __name__ == "__main__":
    main(*sys.argv[1:3])
