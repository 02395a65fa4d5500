"""One process of the cascade-as-a-tool crash test: a lead agent whose one call is a two-tier
cascade (``Cascade.as_tool``); start the lead's run, or resume it.

    python tests/cascade_tool_worker.py JOURNAL MARKS

Tier 1 calls ``note`` until ``max_steps``; tier 2 calls ``wait``, which the first time marks
``MARKS/waited`` and sleeps (the test SIGKILLs the process then), and answers. Each tier's
model call appends a line to ``MARKS/tier1`` or ``MARKS/tier2``. Prints ``done ANSWER``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from autan import Agent, Cascade, Limits, tool
from autan.store import open_store
from autan.testing import ScriptedModel, Turn
from cascade_worker import CountedModel


def main(journal: str, marks: str) -> None:
    folder = Path(marks)

    @tool(idempotent=True)
    def wait() -> str:
        """Wait for the thing."""
        waited = folder / "waited"
        if not waited.exists():
            waited.touch()
            time.sleep(60)
        return "waited"

    @tool
    def note(n: int) -> str:
        """Note a number."""
        return f"noted {n}"

    store = open_store(journal)
    looping: list[Turn] = [("note", {"n": n}) for n in range(5)]
    small = Agent(CountedModel(looping, folder / "tier1"), [note], limits=Limits(max_steps=2))
    top = Agent(CountedModel([("wait", {}), "done"], folder / "tier2"), [wait])
    solver = Cascade([small, top]).as_tool(name="solver", description="Solve it.")
    lead_model = ScriptedModel([("solver", {"task": "Go."}), "the solver did it"], by_step=True)
    lead = Agent(lead_model, [solver], store=store, name="lead")
    known = {info.run_id for info in store.runs()}
    result = lead.resume("crash") if "crash" in known else lead.run("Go.", run_id="crash")
    print(f"done {result.output}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
