"""``autan runs replay ID``: the recorded run through the current code, without the model.

Exit status 0 when the loop produced the recorded events, 1 when it did not (the first
difference is printed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autan.store import Store

EXIT_SAME, EXIT_DIFFERENT = 0, 1


def replay(store: Store, run_id: str) -> int:
    from autan._replay import RecordedModel
    from autan.agent import DEFAULT_INSTRUCTIONS, Agent
    from autan.cli_recipe import recipe_from_config
    from autan.tools.builtin import builtin_tools

    config = store.info(run_id).config
    recipe = recipe_from_config(run_id, config)
    agent = Agent(
        RecordedModel(str(config.get("model", ""))),
        builtin_tools(recipe.workspace),
        instructions=str(config.get("instructions", DEFAULT_INSTRUCTIONS)),
        limits=recipe.limits(),
        store=store,
    )
    report = agent.replay(run_id)
    if report.same:
        print(f"same: the loop reproduced all {report.recorded} recorded events of run {run_id}")
        return EXIT_SAME
    print(f"different after {report.compared} of {report.recorded} events: {report.difference}")
    return EXIT_DIFFERENT
