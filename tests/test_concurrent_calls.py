"""A step's several calls run concurrently; their results reach the model in call order.

Concurrency is shown with barriers, not timings: two calls that each wait for the other can
only both succeed if they run at the same time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from autan import (
    Agent,
    AwaitingApproval,
    LimitExceeded,
    Limits,
    ResumeNeedsDecision,
    SQLiteStore,
    ToolResulted,
    ToolStarted,
    tool,
)
from autan.events import ToolCalled
from autan.testing import ScriptedModel

BOTH = [("meet", {"who": "a"}), ("meet", {"who": "b"})]


def meeting(parties: int = 2, idempotent: bool = True) -> tuple[Any, list[str]]:
    """A tool whose calls wait until ``parties`` of them run at once; it logs who finished."""
    barrier = threading.Barrier(parties, timeout=5)
    finished: list[str] = []

    @tool(idempotent=idempotent)
    def meet(who: str) -> str:
        """Wait for the other callers, then greet."""
        barrier.wait()
        if who == "a":
            time.sleep(0.05)  # a finishes last, yet its result comes first
        finished.append(who)
        return f"met {who}"

    return meet, finished


def observations(model: ScriptedModel, step: int = 1) -> list[str]:
    return [m.content for m in model.requests[step].messages if m.role == "tool"]


def test_two_calls_of_one_step_run_at_once_and_answer_in_call_order() -> None:
    meet, finished = meeting()
    model = ScriptedModel([BOTH, "done"])
    Agent(model, tools=[meet]).run("meet both")
    assert observations(model) == ["met a", "met b"]
    assert finished == ["b", "a"]


def test_async_runs_batch_sync_and_async_tools_alike() -> None:
    meet, _ = meeting()
    gate = asyncio.Event()

    @tool
    async def wait_for_gate(name: str) -> str:
        """Wait until the gate opens."""
        await asyncio.wait_for(gate.wait(), 5)
        return f"{name} through"

    @tool
    async def open_gate() -> str:
        """Open the gate."""
        gate.set()
        return "open"

    script = [[("wait_for_gate", {"name": "x"}), ("open_gate", {})], BOTH, "done"]
    model = ScriptedModel(script)
    asyncio.run(Agent(model, tools=[meet, wait_for_gate, open_gate]).arun("go"))
    assert observations(model, 1) == ["x through", "open"]
    assert observations(model, 2)[-2:] == ["met a", "met b"]


def test_invalid_and_valid_calls_mix_in_order_and_the_invalid_never_runs() -> None:
    meet, finished = meeting()
    calls = [BOTH[0], ("meet", {"who": 3}), ("nope", {}), BOTH[1]]
    model = ScriptedModel([calls, "done"])
    Agent(model, tools=[meet]).run("t")
    seen = observations(model)
    assert [seen[0], seen[3]] == ["met a", "met b"]
    assert seen[1].startswith("error: invalid arguments")
    assert "unknown tool 'nope'" in seen[2]
    assert sorted(finished) == ["a", "b"]


def test_events_start_every_runnable_call_before_any_result() -> None:
    meet, _ = meeting()
    result = Agent(ScriptedModel([BOTH, "done"]), tools=[meet]).run("t")
    kinds = [
        type(e).__name__
        for e in result.events
        if type(e) in (ToolCalled, ToolStarted, ToolResulted)
    ]
    assert kinds == [
        "ToolCalled",
        "ToolCalled",
        "ToolStarted",
        "ToolStarted",
        "ToolResulted",
        "ToolResulted",
    ]


def test_sequential_calls_when_asked() -> None:
    order: list[str] = []

    @tool
    def mark(who: str) -> str:
        """Record a call."""
        order.append(f"start {who}")
        time.sleep(0.01)
        order.append(f"end {who}")
        return who

    model = ScriptedModel([[("mark", {"who": "a"}), ("mark", {"who": "b"})], "done"])
    Agent(model, tools=[mark], concurrent_tool_calls=False).run("t")
    assert order == ["start a", "end a", "start b", "end b"]


def test_calls_from_one_batch_count_against_max_tool_calls() -> None:
    meet, finished = meeting()
    agent = Agent(ScriptedModel([[*BOTH, ("meet", {"who": "c"})], "done"]), tools=[meet])
    agent.limits = Limits(max_tool_calls=2)
    with pytest.raises(LimitExceeded, match="max_tool_calls"):
        agent.run("t")
    assert finished == []


def die_when_both_started(agent: Agent) -> str:
    """Stop consuming the run's events once both calls are journaled as started."""
    started = 0
    for event in agent.stream("t"):
        started += isinstance(event, ToolStarted)
        if started == 2:
            break
    assert agent.store is not None
    return agent.store.runs()[0].run_id


def test_a_batch_that_died_runs_again_on_resume_when_idempotent(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    meet, finished = meeting()
    run_id = die_when_both_started(Agent(ScriptedModel([BOTH, "done"]), tools=[meet], store=store))
    assert finished == []
    model = ScriptedModel([BOTH, "done"], by_step=True)
    assert Agent(model, tools=[meet], store=store).resume(run_id).output == "done"
    assert sorted(finished) == ["a", "b"]
    assert Agent(model, tools=[meet], store=store).replay(run_id).same


def test_a_batch_that_died_asks_for_a_decision_when_not_idempotent(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    meet, finished = meeting(idempotent=False)
    agent = Agent(ScriptedModel([BOTH, "done"]), tools=[meet], store=store)
    run_id = die_when_both_started(agent)
    with pytest.raises(ResumeNeedsDecision) as caught:
        Agent(ScriptedModel([BOTH, "done"], by_step=True), tools=[meet], store=store).resume(run_id)
    assert caught.value.key == f"{run_id}:1:0"
    assert finished == []


def test_a_finished_batch_is_replayed_not_rerun(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    meet, finished = meeting()
    model = ScriptedModel([BOTH, "done"], by_step=True)
    run_id = Agent(model, tools=[meet], store=store).run("t").run_id
    assert run_id is not None
    report = Agent(model, tools=[meet], store=store).replay(run_id)
    assert report.same, report.difference
    assert sorted(finished) == ["a", "b"]


def test_a_batch_waits_for_every_approval_before_anything_starts(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    meet, finished = meeting(parties=1, idempotent=False)

    @tool(needs_approval=True)
    def launch(what: str) -> str:
        """Launch something."""
        finished.append(what)
        return f"launched {what}"

    script = [[("meet", {"who": "b"}), ("launch", {"what": "probe"})], "done"]
    agent = Agent(ScriptedModel(script, by_step=True), tools=[meet, launch], store=store)
    with pytest.raises(AwaitingApproval) as paused:
        agent.run("t")
    run_id = paused.value.result.run_id
    assert run_id is not None
    assert not any(isinstance(e, ToolStarted) for e in store.load(run_id))
    agent.approve(run_id)
    assert agent.resume(run_id).output == "done"
    assert sorted(finished) == ["b", "probe"]
