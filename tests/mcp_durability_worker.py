"""One process of the MCP crash test: a 10-step run whose every step is a call of the test
server's ``record`` tool (idempotent: the server applies each idempotency key once), started or
resumed from the journal.

    python tests/mcp_durability_worker.py JOURNAL LEDGER TASK

Prints ``ready`` once the server is connected, ``done RUN_ID`` at the end.
"""

from __future__ import annotations

import sys

from autan import Agent, Limits
from autan.mcp import MCPServer, mcp_tools
from autan.store import open_store
from autan.testing import ScriptedModel
from mcp_helpers import server_command

STEPS = 10
SCRIPT = [("record", {"entry": f"step {n}"}) for n in range(1, STEPS + 1)] + ["recorded"]


def main(journal: str, ledger: str, task: str) -> None:
    store = open_store(journal)
    target = MCPServer("ledger", command=tuple(server_command().split()), env={"LEDGER": ledger})
    tools = [t for t in mcp_tools(target) if t.name == "record"]
    model = ScriptedModel(SCRIPT, by_step=True)
    agent = Agent(model, tools, limits=Limits(max_steps=STEPS + 1), store=store)
    print("ready", flush=True)
    earlier = [r.run_id for r in store.runs() if r.config.get("task") == task]
    result = agent.resume(earlier[0]) if earlier else agent.run(task)
    print(f"done {result.run_id}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
