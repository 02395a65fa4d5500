"""Agents as tools (``Agent.as_tool``): each call is a child run of the other agent, journaled
in the parent's store under the parent's step, its spending rolled up into the parent's."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pydantic import BaseModel

from autan import Agent, LimitExceeded, Limits, tool
from autan.messages import ModelRequest, ModelResponse, Usage
from autan.store import SQLiteStore
from autan.testing import ScriptedModel


@tool
def convert(celsius: float) -> float:
    """Convert degrees Celsius to degrees Fahrenheit."""
    return celsius * 9 / 5 + 32


@tool
def look_up(topic: str) -> str:
    """Look a topic up in the notes."""
    return f"notes on {topic}: boils at 100 C"


class PricedModel(ScriptedModel):
    """A scripted model whose every response costs ``cost`` dollars."""

    def __init__(self, turns: list[object], cost: float, usage: Usage | None = None) -> None:
        super().__init__(turns, usage)  # type: ignore[arg-type]
        self.cost = cost

    def complete(self, request: ModelRequest) -> ModelResponse:
        return dataclasses.replace(super().complete(request), cost_usd=self.cost)


def team(store: SQLiteStore | None) -> tuple[Agent, ScriptedModel, ScriptedModel, ScriptedModel]:
    """A parent that asks two children in one step, then answers."""
    research = ScriptedModel([("look_up", {"topic": "water"}), "water boils at 100 C"])
    converting = ScriptedModel([("convert", {"celsius": 100}), "212 F"])
    researcher = Agent(
        research, [look_up], instructions="You research.", name="researcher", description="notes"
    )
    converter = Agent(converting, [convert], instructions="You convert.", name="converter")
    calls = [("researcher", {"task": "When does water boil?"}), ("converter", {"task": "100 C"})]
    parent_model = ScriptedModel([calls, "Water boils at 100 C, which is 212 F."])
    tools = [researcher.as_tool(), converter.as_tool(description="Convert temperatures.")]
    parent = Agent(parent_model, tools, store=store, name="lead")
    return parent, parent_model, research, converting


def test_a_parent_with_two_child_agents(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    parent, parent_model, research, converting = team(store)
    result = parent.run("When does water boil, in F?")
    assert result.output == "Water boils at 100 C, which is 212 F."
    children = result.child_runs
    assert [c.agent for c in children] == ["researcher", "converter"]
    assert all(c.answered and c.model_calls == 2 for c in children)
    # each child's answer is its call's result, in the parent's next prompt
    shown = [m.content for m in parent_model.requests[1].messages if m.role == "tool"]
    assert shown == ["water boils at 100 C", "212 F"]
    # each child ran with its own instructions and tools, on the task the parent wrote
    assert research.requests[0].messages[0].content == "You research."
    assert [t.name for t in research.requests[0].tools] == ["look_up"]
    assert research.requests[0].messages[1].content == "When does water boil?"
    assert [t.name for t in converting.requests[0].tools] == ["convert"]
    # journaled as runs of their own, linked to the parent's step and call
    for index, child in enumerate(children):
        assert child.run_id == f"{result.run_id}:1:{index}"
        config = store.info(child.run_id).config
        assert config["parent"] == {
            "run_id": result.run_id,
            "step": 1,
            "call_id": f"call_1_{index}",
        }
        assert store.load(child.run_id)[-1].kind == "final_answer"
    offered = {t.name: t.description for t in parent_model.requests[0].tools}
    assert offered == {"researcher": "notes", "converter": "Convert temperatures."}


def test_usage_and_cost_roll_up_through_the_tree() -> None:
    usage = Usage(prompt_tokens=100, completion_tokens=10)
    grandchild = Agent(PricedModel([("convert", {"celsius": 5}), "41 F"], 0.001, usage), [convert])
    grandchild.name = "converter"
    child = Agent(
        PricedModel([("converter", {"task": "5 C"}), "it is 41 F"], 0.01, usage),
        [grandchild.as_tool()],
        name="helper",
    )
    parent = Agent(
        PricedModel([("helper", {"task": "5 C?"}), "41 F"], 0.1, usage), [child.as_tool()]
    )
    result = parent.run("What is 5 C in F?")
    assert result.model_calls == 2  # the parent's own
    assert result.usage == Usage(prompt_tokens=600, completion_tokens=60)  # 6 model calls
    assert result.cost_usd == pytest.approx(2 * 0.1 + 2 * 0.01 + 2 * 0.001)
    (helper,) = result.child_runs
    assert helper.model_calls == 4
    assert helper.usage.total_tokens == 440
    assert helper.cost_usd == pytest.approx(0.022)


class Reading(BaseModel):
    celsius: float
    fahrenheit: float


def test_a_typed_child_answers_with_its_json() -> None:
    child = Agent(
        ScriptedModel(['{"celsius": 100, "fahrenheit": 212}']), output_type=Reading, name="reader"
    )
    parent_model = ScriptedModel([("reader", {"task": "100 C"}), "212"])
    Agent(parent_model, [child.as_tool()]).run("100 C in F?")
    (result,) = [m for m in parent_model.requests[1].messages if m.role == "tool"]
    assert Reading.model_validate_json(result.content) == Reading(celsius=100, fahrenheit=212)


def test_a_child_that_fails_is_an_error_result_that_still_counts() -> None:
    child = Agent(ScriptedModel([("convert", {"celsius": 1})] * 5), [convert], name="looper")
    child.limits = Limits(max_steps=2)
    parent_model = ScriptedModel([("looper", {"task": "go"}), "gave up"])
    result = Agent(parent_model, [child.as_tool()]).run("try")
    (shown,) = [m for m in parent_model.requests[1].messages if m.role == "tool"]
    assert shown.content.startswith("error: looper did not answer: limit max_steps=2 reached")
    (looper,) = result.child_runs
    assert not looper.answered
    assert looper.model_calls == 2
    assert result.usage.total_tokens == 4 * 15


def test_the_parents_token_budget_stops_a_runaway_child_within_one_request() -> None:
    runaway = ScriptedModel([("convert", {"celsius": n}) for n in range(100)])
    child = Agent(runaway, [convert], name="runaway", limits=Limits(max_steps=None))
    parent_model = ScriptedModel([("runaway", {"task": "forever"}), "never"])
    parent = Agent(parent_model, [child.as_tool()], limits=Limits(max_total_tokens=100))
    with pytest.raises(LimitExceeded) as stopped:
        parent.run("go")
    assert stopped.value.limit == "max_total_tokens"
    # the parent spent 15, leaving 85: the child stops at the first check past it (6 x 15 = 90)
    assert len(runaway.requests) == 6
    assert len(parent_model.requests) == 1  # the parent stops before its next request
    assert stopped.value.result.usage.total_tokens == 15 + 90


def test_a_child_call_after_the_budget_is_spent_does_not_start() -> None:
    child_model = ScriptedModel(["unused"])
    child = Agent(child_model, name="helper")
    parent_model = ScriptedModel([("helper", {"task": "go"})])
    parent = Agent(parent_model, [child.as_tool()], limits=Limits(max_total_tokens=15))
    with pytest.raises(LimitExceeded):
        parent.run("go")
    assert child_model.requests == []


def test_the_parents_wall_clock_bounds_the_child(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    child = Agent(ScriptedModel(["ok"]), name="helper", limits=Limits(max_wall_seconds=3600))
    parent_model = ScriptedModel([("helper", {"task": "go"}), "done"])
    parent = Agent(parent_model, [child.as_tool()], store=store, limits=Limits(max_wall_seconds=60))
    result = parent.run("go")
    (helper,) = result.child_runs
    bound = store.info(helper.run_id).config["limits"]["max_wall_seconds"]
    assert 0 < bound <= 60
    assert child.limits.max_wall_seconds == 3600  # the agent itself is unchanged


def test_a_child_tool_is_trusted_only_when_its_tools_are() -> None:
    from autan.tools import trust_of

    @tool(trust="untrusted")
    def fetch(url: str) -> str:
        """Fetch a page."""
        return ""

    assert trust_of(Agent(ScriptedModel([]), [convert], name="a").as_tool()) == "trusted"
    assert trust_of(Agent(ScriptedModel([]), [fetch], name="b").as_tool()) == "untrusted"


def test_the_child_run_is_shown_under_its_parents_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from autan.cli import main

    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    with SQLiteStore() as store:
        parent, *_ = team(store)
        result = parent.run("When does water boil, in F?")
    assert main(["runs", "show", str(result.run_id)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    child_id = f"{result.run_id}:1:0"
    header = next(n for n, line in enumerate(lines) if f"researcher: {child_id}" in line)
    assert lines[header].startswith("      │ ")
    assert any("│     look_up(topic='water')" in line for line in lines[header:])
    assert f"· child run {child_id} (researcher: 2 model calls, 30 tokens)" in out
    # the summary's tokens are the tree's: 2 parent + 4 child model calls of 15 tokens
    assert "child runs 2 (4 model calls) · tokens 60 prompt (0 cached) / 30 completion" in out


def test_the_async_driver_runs_child_runs_too(tmp_path: Path) -> None:
    import asyncio

    store = SQLiteStore(tmp_path / "journal.sqlite3")
    parent, _, research, converting = team(store)
    result = asyncio.run(parent.arun("When does water boil, in F?"))
    assert result.output == "Water boils at 100 C, which is 212 F."
    assert [c.agent for c in result.child_runs] == ["researcher", "converter"]
    assert len(research.requests) == len(converting.requests) == 2


def test_resuming_an_answered_parent_does_not_run_its_children_again(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    first, *_ = team(store)
    run_id = str(first.run("When does water boil, in F?").run_id)
    again, parent_model, research, converting = team(store)
    result = again.resume(run_id)
    assert result.output == "Water boils at 100 C, which is 212 F."
    assert result.usage.total_tokens == 6 * 15
    assert parent_model.requests == research.requests == converting.requests == []


def test_a_child_that_answered_before_its_parent_stopped_is_not_run_again(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    stop = [True]

    @tool(idempotent=True)
    def note(text: str) -> str:
        """Take a note."""
        if stop[0]:
            raise KeyboardInterrupt  # the process stops while the step's other call (a child) ran
        return "noted"

    def parent() -> tuple[Agent, ScriptedModel]:
        child_model = ScriptedModel(["212 F"])
        child = Agent(child_model, name="converter")
        calls = [("converter", {"task": "100 C"}), ("note", {"text": "asked"})]
        model = ScriptedModel([calls, "212 F"], by_step=True)
        return Agent(model, [child.as_tool(), note], store=store), child_model

    first, first_child = parent()
    with pytest.raises(KeyboardInterrupt):
        first.run("100 C in F?", run_id="p")
    assert len(first_child.requests) == 1
    assert store.load("p:1:0")[-1].kind == "final_answer"  # the child answered
    stop[0] = False
    again, child_model = parent()
    result = again.resume("p")
    assert result.output == "212 F"
    assert child_model.requests == []  # its journal answered the call
    assert result.child_runs[0].answered
