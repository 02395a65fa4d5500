"""``Cascade.as_tool``: a cascade as a member's tool is a child run (journaled under the
parent's step, its tiers' spending rolled up, its events in the parent's stream, each tier
within what the parent has left); and the async cascade (``arun``, ``astream``, ``aresume``)
does what the sync one does."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from autan import (
    Agent,
    Cascade,
    CascadeFailed,
    ChildEvent,
    Event,
    LimitExceeded,
    Limits,
    ModelRequest,
    ModelResponse,
    SQLiteStore,
    TextDelta,
    TierStarted,
    ToolResulted,
    tool,
)
from autan.testing import ScriptedModel, Turn


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


class PricedModel(ScriptedModel):
    name = "priced"

    def complete(self, request: ModelRequest) -> ModelResponse:
        return dataclasses.replace(super().complete(request), cost_usd=0.01)


LOOPING: list[Turn] = [("add", {"a": 1, "b": n}) for n in range(10)]


def solver(store: SQLiteStore | None = None, top: str = "4") -> Cascade[Any]:
    small = Agent(ScriptedModel(LOOPING), [add], limits=Limits(max_steps=2), name="solver")
    big = Agent(PricedModel([top]), [add], name="solver")
    return Cascade([small, big], store=store)


def parent(tools: list[Any], store: SQLiteStore | None, limits: Limits | None = None) -> Agent:
    model = ScriptedModel([("solver", {"task": "2 + 2?"}), "the solver says 4"])
    return Agent(model, tools, store=store, name="lead", limits=limits)


def test_a_cascade_as_a_tool_is_a_child_run_of_the_parents_step(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    cascade = solver()
    made = cascade.as_tool(description="Solve sums.")
    assert made.name == "solver"
    assert made.description == "Solve sums."
    result = parent([made], store).run("What is 2 + 2?")
    assert result.output == "the solver says 4"
    (child,) = result.child_runs
    assert child.run_id == f"{result.run_id}:1:0"
    assert child.answered
    assert child.model_calls == 3  # two of tier 1, one of tier 2
    assert child.usage.total_tokens == 3 * 15
    assert child.cost_usd == 0.01
    assert result.cost_usd == 0.01
    config = store.info(child.run_id).config
    assert config["parent"] == {"run_id": result.run_id, "step": 1, "call_id": "call_1_0"}
    kinds = [type(e).__name__ for e in store.load(child.run_id)]
    assert kinds == ["TierStarted", "TierEnded", "TierStarted", "TierEnded", "FinalAnswer"]
    assert store.info(f"{child.run_id}-2").status == "completed"
    assert cascade.store is None  # running it as a tool did not change it


def test_a_cascade_tools_events_are_in_the_parents_stream(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    stream = parent([solver().as_tool()], store).stream("What is 2 + 2?")
    events: list[Event] = list(stream)
    children = [e for e in events if isinstance(e, ChildEvent)]
    (cascade_id,) = {e.run_id for e in children}
    assert cascade_id.endswith(":1:0")
    assert all(e.agent == "solver" for e in children)
    shown = [type(e.event).__name__ for e in children if not isinstance(e.event, TextDelta)]
    assert shown[0] == "TierStarted"
    assert shown[-1] == "TierEnded"
    assert shown.count("TierStarted") == 2
    assert "ToolCalled" in shown
    tiers = [e.event for e in children if isinstance(e.event, TierStarted)]
    assert [t.run_id for t in tiers] == [f"{cascade_id}-1", f"{cascade_id}-2"]


def test_a_failed_cascade_is_an_error_result_for_the_parent() -> None:
    small = Agent(ScriptedModel(LOOPING), [add], limits=Limits(max_steps=2))
    big = Agent(ScriptedModel(LOOPING), [add], limits=Limits(max_steps=2))
    model = ScriptedModel([("solver", {"task": "2 + 2?"}), "no answer"])
    lead = Agent(model, [Cascade([small, big]).as_tool(name="solver")])
    result = lead.run("What is 2 + 2?")
    (outcome,) = [e for e in result.events if isinstance(e, ToolResulted)]
    assert outcome.is_error
    assert outcome.output.startswith("error: solver did not answer: ")
    assert outcome.child is not None
    assert not outcome.child.answered
    assert outcome.child.model_calls == 4


def test_each_tier_gets_what_the_parent_has_left_less_what_earlier_tiers_spent(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    lead = parent([solver().as_tool()], store, Limits(max_total_tokens=1000))
    result = lead.run("What is 2 + 2?")
    (child,) = result.child_runs
    first = store.info(f"{child.run_id}-1").config["limits"]["max_total_tokens"]
    second = store.info(f"{child.run_id}-2").config["limits"]["max_total_tokens"]
    assert first == 1000 - 15  # the parent's first call spent 15 tokens
    assert second == first - 2 * 15  # tier 1's two calls


def test_no_tier_starts_once_the_parents_budget_is_spent(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    lead = parent([solver().as_tool()], store, Limits(max_total_tokens=40))
    with pytest.raises(LimitExceeded) as stopped:
        lead.run("What is 2 + 2?")
    (child,) = stopped.value.result.child_runs
    assert not child.answered  # tier 1 spent the 25 left (and 5 more): tier 2 never started
    assert child.model_calls == 2
    recorded = store.load(child.run_id)
    assert [type(e).__name__ for e in recorded] == ["TierStarted", "TierEnded", "RunFailed"]
    assert "the parent run's max_total_tokens is spent before tier 2" in str(recorded[-1])


def test_arun_and_astream_do_what_run_and_stream_do(tmp_path: Path) -> None:
    done = asyncio.run(solver().arun("2 + 2?"))
    assert done.output == "4"
    assert [t.outcome for t in done.tiers] == ["escalated", "answered"]
    assert done.cost_usd == 0.01

    async def collect() -> list[Event]:
        return [event async for event in solver().astream("2 + 2?")]

    kinds = [type(e).__name__ for e in asyncio.run(collect()) if not isinstance(e, TextDelta)]
    synced = [type(e).__name__ for e in solver().stream("2 + 2?") if not isinstance(e, TextDelta)]
    assert kinds == synced
    assert kinds.count("TierEnded") == 2


def test_aresume_of_an_ended_cascade_gives_its_answer_or_raises_again(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    answered = solver(store).run("2 + 2?", run_id="ok")
    again = asyncio.run(solver(store).aresume("ok"))
    assert again.output == answered.output == "4"
    assert [t.outcome for t in again.tiers] == ["escalated", "answered"]
    looping = [Agent(ScriptedModel(LOOPING), [add], limits=Limits(max_steps=2)) for _ in "ab"]
    failing = Cascade(looping, store=store)
    with pytest.raises(CascadeFailed):
        failing.run("2 + 2?", run_id="bad")
    with pytest.raises(CascadeFailed) as again_failed:
        asyncio.run(failing.aresume("bad"))
    assert [t.reason for t in again_failed.value.tiers] == ["limit", "limit"]
