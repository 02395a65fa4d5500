"""Conversations in the journal, as the CLI finds them: the last answered run (``autan run -c``,
``autan chat``), the turns that led to a run (``autan runs show``), and the agent to continue
one with (rebuilt from the recipe ``autan run`` journaled)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.result import RunResult
    from autan.store import RunInfo, Store

AFTER = "after"
"""The configuration key linking a follow-up to the run before it."""


def last_answered(store: Store) -> str:
    """The id of the newest run a user started that has an answer: what ``-c`` continues (a
    child run or a cascade tier answers before its parent and is newer)."""
    for info in store.top_level_runs(limit=200):
        if info.status == "completed":
            return info.run_id
    raise ConfigurationError("no answered run in the journal to continue")


def turns(store: Store, run_id: str) -> list[RunInfo]:
    """The runs of run ``run_id``'s conversation up to it, oldest first."""
    chain = [store.info(run_id)]
    seen = {run_id}
    while isinstance(after := chain[-1].config.get(AFTER), str) and after not in seen:
        seen.add(after)
        chain.append(store.info(after))
    return chain[::-1]


def continued(
    store: Store, run_id: str, settings: Any, send_key_anyway: bool
) -> tuple[Agent, RunResult[Any]]:
    """The agent of run ``run_id`` (from its journaled recipe) and its answered result, whose
    transcript a follow-up continues."""
    from autan.cli.recipe import Recipe

    config = store.info(run_id).config
    agent = Recipe.to_continue(run_id, config, settings, send_key_anyway).build(store, settings)
    return agent, agent.resume(run_id)
