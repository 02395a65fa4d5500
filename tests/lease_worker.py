"""One process of the lease tests: run or resume a journaled run whose model call waits.

    python tests/lease_worker.py JOURNAL RUN_ID run|resume GATE

JOURNAL is a SQLite file or a ``postgresql://`` URL. The model's first call waits until the
file GATE exists (so the run is in progress for as long as the test wants), then the run calls
``note`` once and answers. Prints ``done ANSWER`` at the end, or ``refused MESSAGE`` (exit 3)
when the run is in progress elsewhere, or ``error MESSAGE`` (exit 4) for another autan error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from autan import Agent, AutanError, ModelError, RunInProgress, tool
from autan.messages import ModelRequest, ModelResponse
from autan.store import open_store
from autan.testing import ScriptedModel

SCRIPT = [("note", {"text": "one"}), "noted"]
GATE_SECONDS = 180


class GatedModel(ScriptedModel):
    """A scripted model whose every call waits for a file."""

    def __init__(self, gate: Path) -> None:
        super().__init__(SCRIPT, by_step=True)
        self.gate = gate

    def complete(self, request: ModelRequest) -> ModelResponse:
        deadline = time.monotonic() + GATE_SECONDS
        while not self.gate.exists():
            if time.monotonic() > deadline:  # a failed test never opens it: do not outlive it
                raise ModelError(f"the gate {self.gate} stayed shut for {GATE_SECONDS} s")
            time.sleep(0.02)
        return super().complete(request)


@tool(idempotent=True)
def note(text: str) -> str:
    """Note a text."""
    return f"noted {text}"


def main(journal: str, run_id: str, mode: str, gate: str) -> int:
    store = open_store(journal)
    agent = Agent(GatedModel(Path(gate)), [note], store=store)
    try:
        result = agent.run("note one", run_id=run_id) if mode == "run" else agent.resume(run_id)
    except RunInProgress as refused:
        print(f"refused {refused}", flush=True)
        return 3
    except AutanError as failed:
        print(f"error {failed}", flush=True)
        return 4
    print(f"done {result.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
