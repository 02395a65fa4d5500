"""A child run's events in its parent's stream: each ``ChildEvent`` is marked with the child's
run id, comes while the call runs (after its ``ToolStarted``, before its ``ToolResulted``), in
the child's order, sync and async, one child or several at once, a grandchild's nested; never
in the parent's journal or result."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import pytest

from autan import (
    Agent,
    ChildEvent,
    Event,
    FinalAnswer,
    ModelRequested,
    RunStarted,
    TextDelta,
    ToolCalled,
    ToolResulted,
    ToolStarted,
    tool,
)
from autan.cli.display import live_lines
from autan.store import SQLiteStore
from autan.testing import ScriptedModel


@tool
def look_up(topic: str) -> str:
    """Look a topic up in the notes."""
    return f"notes on {topic}: boils at 100 C"


def researcher() -> Agent:
    model = ScriptedModel([("look_up", {"topic": "water"}), "water boils at 100 C"])
    return Agent(model, [look_up], name="researcher")


def lead(children: list[Agent], store: SQLiteStore | None = None) -> Agent:
    calls = [(child.name, {"task": f"ask {child.name}"}) for child in children]
    model = ScriptedModel([calls, "done"])
    return Agent(model, [child.as_tool() for child in children], store=store, name="lead")


def streamed(agent: Agent, task: str) -> tuple[list[Event], object]:
    stream = agent.stream(task)
    events: list[Event] = []
    while True:
        try:
            events.append(next(stream))
        except StopIteration as stop:
            return events, stop.value


CHILD_KINDS = ["RunStarted", "ModelRequested", "ModelResponded", "ToolCalled", "ToolStarted"]
CHILD_KINDS += ["ToolResulted", "ModelRequested", "ModelResponded", "FinalAnswer"]


def own_kinds(events: list[Event], run_id: str) -> list[str]:
    """The kinds of the child events of run ``run_id``, text deltas left out."""
    return [
        type(e.event).__name__
        for e in events
        if isinstance(e, ChildEvent) and e.run_id == run_id and not isinstance(e.event, TextDelta)
    ]


def test_a_child_runs_events_come_between_its_call_start_and_result(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    events, result = streamed(lead([researcher()], store), "When does water boil?")
    assert isinstance(events[0], RunStarted)  # the parent's own start comes first
    children = [e for e in events if isinstance(e, ChildEvent)]
    (child_id,) = {e.run_id for e in children}
    assert child_id.endswith(":1:0")
    assert all(e.agent == "researcher" for e in children)
    assert own_kinds(events, child_id) == CHILD_KINDS
    assert any(isinstance(e.event, TextDelta) for e in children)  # the parent streams: so do they
    started = next(i for i, e in enumerate(events) if isinstance(e, ToolStarted))
    ended = next(i for i, e in enumerate(events) if isinstance(e, ToolResulted))
    inside = [i for i, e in enumerate(events) if isinstance(e, ChildEvent)]
    assert started < min(inside)
    assert max(inside) < ended
    # the child's journal holds what its events said; the parent's holds none of them
    journaled = [e for e in store.load(child_id) if not isinstance(e, TextDelta)]
    shown = [e.event for e in children if not isinstance(e.event, TextDelta)]
    assert journaled == shown
    parent_id = child_id.rsplit(":", 2)[0]
    assert not any(isinstance(e, ChildEvent) for e in store.load(parent_id))
    assert not any(isinstance(e, ChildEvent) for e in result.events)  # type: ignore[attr-defined]


def test_two_children_at_once_each_in_its_own_order() -> None:
    other = Agent(ScriptedModel([("look_up", {"topic": "ice"}), "ice melts at 0 C"]), [look_up])
    other.name = "second"
    events, result = streamed(lead([researcher(), other]), "Water and ice?")
    ids = sorted({e.run_id for e in events if isinstance(e, ChildEvent)})
    assert [i.rsplit(":", 1)[1] for i in ids] == ["0", "1"]
    for child_id in ids:
        assert own_kinds(events, child_id) == CHILD_KINDS
    assert result.output == "done"  # type: ignore[attr-defined]


def middle() -> Agent:
    model = ScriptedModel([("researcher", {"task": "water?"}), "it boils at 100 C"])
    return Agent(model, [researcher().as_tool()], name="middle")


def test_run_gives_the_same_answer_and_a_grandchilds_events_nest() -> None:
    events, result = streamed(lead([middle()]), "Ask around.")
    nested = [e for e in events if isinstance(e, ChildEvent) and isinstance(e.event, ChildEvent)]
    assert nested
    assert all(e.depth == 2 and e.agent == "middle" for e in nested)
    assert all(isinstance(e.event, ChildEvent) and e.event.agent == "researcher" for e in nested)
    inner_ids = {e.event.run_id for e in nested if isinstance(e.event, ChildEvent)}
    (inner,) = inner_ids
    assert inner.startswith(nested[0].run_id + ":1:0")  # the grandchild: the child's call
    assert [type(e.innermost).__name__ for e in nested if not isinstance(e.innermost, TextDelta)]
    assert result.output == "done"  # type: ignore[attr-defined]
    assert lead([middle()]).run("Ask around.").output == "done"


def test_astream_yields_the_childs_events_too() -> None:
    other = Agent(ScriptedModel([("look_up", {"topic": "ice"}), "ice melts at 0 C"]), [look_up])
    other.name = "second"

    async def collect(agent: Agent) -> list[Event]:
        return [event async for event in agent.astream("Water and ice?")]

    events = asyncio.run(collect(lead([researcher(), other])))
    ids = sorted({e.run_id for e in events if isinstance(e, ChildEvent)})
    assert len(ids) == 2
    for child_id in ids:
        assert own_kinds(events, child_id) == CHILD_KINDS
    calls = [i for i, e in enumerate(events) if isinstance(e, ToolStarted)]
    results = [i for i, e in enumerate(events) if isinstance(e, ToolResulted)]
    inside = [i for i, e in enumerate(events) if isinstance(e, ChildEvent)]
    assert max(calls) < min(inside)
    assert max(inside) < min(results)
    assert isinstance(events[-1], FinalAnswer)

    async def one(agent: Agent) -> list[Event]:
        return [event async for event in agent.astream("Water?")]

    single = asyncio.run(one(lead([researcher()])))
    (child_id,) = {e.run_id for e in single if isinstance(e, ChildEvent)}
    assert own_kinds(single, child_id) == CHILD_KINDS
    assert asyncio.run(lead([researcher()]).arun("Water?")).output == "done"


def test_a_child_event_round_trips_through_json() -> None:
    inner = ChildEvent("run:1:0:1:0", "researcher", ToolCalled(1, look_up_call()))
    event = ChildEvent("run:1:0", "middle", inner, at=12.5)
    data = json.loads(json.dumps(event.to_dict()))
    assert data["type"] == "child_event"
    assert data["event"]["event"]["type"] == "tool_call"
    back = Event.from_dict(data)
    assert back == event
    assert back.at == 12.5
    assert isinstance(back, ChildEvent)
    assert back.innermost == inner.event


def look_up_call() -> object:
    from autan.messages import ToolCall

    return ToolCall("call_1", "look_up", {"topic": "water"})


def test_the_command_line_shows_a_childs_calls_indented_under_its_name() -> None:
    call = look_up_call()
    assert live_lines(ChildEvent("r:1:0", "researcher", ToolCalled(1, call)), False) == [  # type: ignore[arg-type]
        "    ↳ researcher [1] look_up(topic='water')"
    ]
    started = ChildEvent("r:1:0", "researcher", RunStarted("water?", "scripted", ("look_up",)))
    assert live_lines(started, False) == ["    ↳ researcher run r:1:0: scripted"]
    grandchild = ChildEvent("r:1:0", "middle", started)
    assert live_lines(grandchild, False) == ["        ↳ researcher run r:1:0: scripted"]
    for quiet in (ModelRequested(1, 2, "auto"), FinalAnswer(2, "x"), TextDelta(1, "x")):
        assert live_lines(ChildEvent("r:1:0", "researcher", quiet), False) == []


def test_autan_runs_output_shows_the_child_under_its_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from autan.cli.run import _stream_run

    args = argparse.Namespace(quiet=False, json=False, show_reasoning=False)
    result = _stream_run(lead([researcher()]), "When does water boil?", args)
    assert result.output == "done"
    assert not any(isinstance(e, ChildEvent) for e in result.events)
    lines = capsys.readouterr().err.splitlines()
    child = f"{result.run_id}:1:0"
    assert lines == [
        "[1] researcher(task='ask researcher')",
        f"    ↳ researcher run {child}: scripted",
        "    ↳ researcher [1] look_up(topic='water')",
        "    ↳ researcher     → notes on water: boils at 100 C",
        "    → water boils at 100 C",
    ]
