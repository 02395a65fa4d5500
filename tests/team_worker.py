"""One process of the child-run crash test: a parent whose one call is a child run of a clerk
agent that writes a ledger entry per step; start the parent's run, or resume it.

    python tests/team_worker.py JOURNAL LEDGER

Each ledger entry is written once per idempotency key (a second write of a key goes to the
``.retries`` file: a kill fell between the effect and its journaling). The clerk's model
appends each step it is asked for to LEDGER's ``.asked`` file. Prints ``ready`` once the store
is open, ``done RUN_ID`` at the end. The test kills it with SIGKILL while the child runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from autan import Agent, Limits
from autan.messages import ModelRequest, ModelResponse
from autan.store import open_store
from autan.testing import ScriptedModel
from durability_worker import _append, ledger_tool

STEPS = 8
TASK = "file the ledger"


class AskedModel(ScriptedModel):
    """Notes each step it is asked for, in a file that outlives the process."""

    def __init__(self, turns: list[object], asked: Path) -> None:
        super().__init__(turns, by_step=True)  # type: ignore[arg-type]
        self.asked = asked

    def complete(self, request: ModelRequest) -> ModelResponse:
        _append(self.asked, f"{request.step}\n")
        time.sleep(0.05)  # a step long enough to be killed in
        return super().complete(request)


def parent(journal: str, ledger: Path) -> Agent:
    script = [("write_ledger", {"entry": f"step {n}"}) for n in range(1, STEPS + 1)] + ["filed"]
    clerk = Agent(
        AskedModel(script, ledger.with_suffix(".asked")),
        [ledger_tool(ledger)],
        name="clerk",
        limits=Limits(max_steps=STEPS + 1),
    )
    lead = ScriptedModel(
        [("clerk", {"task": "write the entries"}), "the clerk filed it"], by_step=True
    )
    return Agent(lead, [clerk.as_tool()], store=open_store(journal), name="lead")


def main(journal: str, ledger: str) -> None:
    agent = parent(journal, Path(ledger))
    assert agent.store is not None
    print("ready", flush=True)
    earlier = [r.run_id for r in agent.store.runs() if r.config.get("task") == TASK]
    result = agent.resume(earlier[0]) if earlier else agent.run(TASK)
    print(f"done {result.run_id}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
