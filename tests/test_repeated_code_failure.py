"""Code mode: a failing block the model sends again is met with a note that it failed before;
the same failing block a third time stops the run with a clear status, even with blocks that
work in between (before, it ran until max_steps)."""

from __future__ import annotations

import pytest

from autan import Agent, Limits, ToolRetriesExhausted
from autan.protocols.code import repeated_failure
from autan.testing import ScriptedModel
from test_code_actions import LIMITS, block, needs_sandbox

FAILING = block("print(undefined_name)")
WORKS = block("print('fine')")


def agent(turns: list[str]) -> tuple[Agent, ScriptedModel]:
    model = ScriptedModel(turns)
    limits = Limits(max_steps=10)
    return Agent(model, actions="code", sandbox_limits=LIMITS, limits=limits), model


@needs_sandbox
def test_a_repeated_failing_block_is_told_it_failed_before() -> None:
    code_agent, model = agent([FAILING, FAILING + "  \n", block("final_answer(7)")])
    assert code_agent.run("compute").output == "7"
    first, second = (request.messages[-1].content for request in model.requests[1:3])
    assert "NameError: name 'undefined_name' is not defined" in first
    assert repeated_failure(1) not in first
    assert second.endswith("\n" + repeated_failure(1))
    assert "step 1" in second


@needs_sandbox
def test_different_failing_blocks_get_no_note() -> None:
    code_agent, model = agent([FAILING, block("1/0"), block("final_answer(1)")])
    assert code_agent.run("compute").output == "1"
    assert all("same code" not in r.messages[-1].content for r in model.requests[1:])


@needs_sandbox
def test_the_same_failing_block_a_third_time_stops_the_run() -> None:
    code_agent, model = agent([FAILING, WORKS, FAILING, WORKS, FAILING, WORKS] + [WORKS] * 5)
    with pytest.raises(
        ToolRetriesExhausted, match=r"the same code failed 3 times \(steps 1, 3, 5\)"
    ):
        code_agent.run("compute")
    assert len(model.requests) == 5
