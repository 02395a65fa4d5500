"""One process of the sampling crash test: a run whose one call's server asks the agent's model
for a completion (MCP sampling), then waits for a gate file before it answers; started or
resumed from the journal.

    python tests/mcp_sampling_worker.py JOURNAL DIR TASK IDEMPOTENT

The server is ``DIR/server.py`` (written by the test); the sampling model appends a line to
``DIR/asked.txt`` for each request it answers. Prints ``ready`` once the server is connected,
then ``done RUN_ID OUTPUT`` or ``needs decision``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autan import Agent, Limits, ResumeNeedsDecision
from autan.mcp import MCPServer, mcp_tools
from autan.messages import ModelRequest, ModelResponse, Usage
from autan.models.base import Model
from autan.store import open_store
from autan.testing import ScriptedModel

SAMPLE_USAGE = Usage(prompt_tokens=7, completion_tokens=3)


class CountingModel(Model):
    """Answers ``answer N`` to its N-th request ever (counted in a file, across processes): a
    second answer to the same request would differ from the first."""

    name = "counting"

    def __init__(self, ledger: Path) -> None:
        self.ledger = ledger

    def complete(self, request: ModelRequest) -> ModelResponse:
        with self.ledger.open("a") as ledger:
            ledger.write(request.messages[-1].content + "\n")
        count = len(self.ledger.read_text().splitlines())
        return ModelResponse(text=f"answer {count}", usage=SAMPLE_USAGE, model=self.name)


def main(journal: str, directory: str, task: str, idempotent: str) -> None:
    folder = Path(directory)
    store = open_store(journal)
    command = (sys.executable, str(folder / "server.py"))
    target = MCPServer("asker", command=command, env={"DIR": directory, "IDEMPOTENT": idempotent})
    tools = mcp_tools(target, sampling_model=CountingModel(folder / "asked.txt"))
    model = ScriptedModel([("sample_then_wait", {}), "finished"], by_step=True)
    # 3 model requests: step 1, the server's sample, step 2; a sample counted twice is a 4th
    agent = Agent(model, tools, limits=Limits(max_steps=3), store=store)
    print("ready", flush=True)
    earlier = [r.run_id for r in store.runs() if r.config.get("task") == task]
    try:
        result = agent.resume(earlier[0]) if earlier else agent.run(task)
    except ResumeNeedsDecision:
        print("needs decision", flush=True)
        return
    print(f"done {result.run_id} {result.output}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
