"""One process of the cascade crash test: start a two-tier cascade, or resume it.

    python tests/cascade_worker.py JOURNAL MARKS

Tier 1 calls ``note`` until ``max_steps``; tier 2 calls ``wait``, which the first time marks
``MARKS/waited`` and sleeps (the parent SIGKILLs the process then), and answers. Each model
call appends a line to ``MARKS/tier1`` or ``MARKS/tier2``. Prints ``done ANSWER TIERS``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from autan import Agent, Cascade, Limits, ModelRequest, ModelResponse, tool
from autan.store import open_store
from autan.testing import ScriptedModel, Turn


class CountedModel(ScriptedModel):
    def __init__(self, turns: list[Turn], marks: Path) -> None:
        super().__init__(turns, by_step=True)
        self.marks = marks

    def complete(self, request: ModelRequest) -> ModelResponse:
        with self.marks.open("a") as marks:
            marks.write(f"step {request.step}\n")
        return super().complete(request)


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
    cascade = Cascade([small, top], store=store)
    known = {info.run_id for info in store.runs()}
    result = cascade.resume("crash") if "crash" in known else cascade.run("Go.", run_id="crash")
    print(f"done {result.output} {[t.outcome for t in result.tiers]}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
