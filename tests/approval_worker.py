"""One process of the approval test: start a run that pauses, approve it, or resume it.

    python tests/approval_worker.py STORE LEDGER start|approve|deny|resume [RUN_ID]

``start`` prints the run id and exits 3 when the run pauses; ``resume`` prints the answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autan import Agent, AwaitingApproval, Tool, tool
from autan.store import open_store
from autan.testing import ScriptedModel

SCRIPT = [("transfer", {"amount": 100}), "sent"]


def transfer_tool(ledger: Path) -> Tool:
    @tool(needs_approval=True)
    def transfer(amount: int) -> str:
        """Send money: a person approves every transfer."""
        with ledger.open("a") as file:
            file.write(f"transfer {amount}\n")
        return f"sent {amount}"

    return transfer


def main(location: str, ledger: str, action: str, run_id: str = "") -> int:
    with open_store(location) as store:
        model = ScriptedModel(SCRIPT, by_step=True)
        agent = Agent(model, [transfer_tool(Path(ledger))], store=store)
        if action == "start":
            try:
                agent.run("pay the invoice")
            except AwaitingApproval as pause:
                print(pause.result.run_id, flush=True)
                return 3
            return 1
        if action in ("approve", "deny"):
            getattr(agent, action)(run_id, "checked by a person")
            return 0
        print(agent.resume(run_id).output, flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
