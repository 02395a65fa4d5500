"""``autan runs resume|approve|deny ID``: decide on a paused call; continue a run of ``autan run``.

Exit status: 0 answered, 1 failed, 3 paused for an approval (see ``paused``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from autan.errors import AwaitingApproval, RunError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.store import Store

EXIT_OK, EXIT_FAILED, EXIT_PAUSED = 0, 1, 3


def rebuild_agent(store: Store, run_id: str) -> Agent:
    """The agent of run ``run_id``, from the recipe ``autan run`` journaled with it."""
    from autan.cli_recipe import recipe_from_config
    from autan.config import load_settings

    recipe = recipe_from_config(run_id, store.info(run_id).config)
    return recipe.build(store, load_settings())


def resume(store: Store, run_id: str) -> int:
    """Continue the run; print its answer on stdout and its summary on stderr."""
    from autan.cli import summary_line

    agent = rebuild_agent(store, run_id)
    try:
        result = agent.resume(run_id)
    except AwaitingApproval as pause:
        return paused(run_id, pause.call.name)
    except RunError as error:
        print(f"autan: error: {error}", file=sys.stderr)
        print(summary_line(error.result), file=sys.stderr)
        return EXIT_FAILED
    print(result.output, flush=True)
    print(summary_line(result), file=sys.stderr)
    return EXIT_OK


def paused(run_id: str, name: str) -> int:
    """Say how to continue a run that waits for an approval; the exit status of a pause."""
    print(
        f"autan: run {run_id} waits for approval of a {name} call: autan runs approve {run_id} "
        f"(or deny {run_id} --reason ...), then autan runs resume {run_id}",
        file=sys.stderr,
    )
    return EXIT_PAUSED


def decide(store: Store, run_id: str, approved: bool, reason: str) -> int:
    from autan._approval import decide as journal_decision

    decision = journal_decision(store, run_id, approved, reason)
    verb = "approved" if decision.approved else "denied"
    print(f"{verb} call {decision.call_id} of run {run_id}; next: autan runs resume {run_id}")
    return EXIT_OK
