"""A child run's events over Server-Sent Events: a run whose call is another agent's run
(``Agent.as_tool``) sends that child's events live to a follower that asked for deltas, as
``child_event`` messages (no ``id``: the child's journal keeps them, not the run's), before
the call's ``tool_result``; a follower that did not ask gets none."""

from __future__ import annotations

from pathlib import Path

import httpx

from autan import Agent, SQLiteStore
from autan.testing import ScriptedModel
from serve_support import AUTH, Gate, ScriptedAgents, served, sse_messages, start


def helper(gate: Gate) -> Agent:
    model = ScriptedModel([("wait_here", {"label": "child"}), "the helper is done"])
    return Agent(model, [gate.tool()], name="helper")


def test_a_childs_events_come_live_before_its_calls_result(tmp_path: Path) -> None:
    gate = Gate()
    script = [("helper", {"task": "help"}), "done"]
    agents = ScriptedAgents(script, [helper(gate).as_tool()])
    with SQLiteStore(tmp_path / "journal.sqlite3") as store, served(store, agents) as base:
        run_id = start(base, "go")
        url = f"{base}/v1/runs/{run_id}/events"
        seen = []
        with httpx.stream("GET", url, params={"deltas": "true"}, headers=AUTH) as stream:
            for message in sse_messages(stream):
                seen.append(message)
                if message.event == "tool_started" and message.data["name"] == "helper":
                    assert gate.entered.wait(20)
                    gate.opened.set()  # the child goes on while this client follows
        journal = store.load(run_id)
    children = [m for m in seen if m.event == "child_event"]
    assert children
    assert all(m.id is None for m in children)
    assert {m.data["run_id"] for m in children} == {f"{run_id}:1:0"}
    assert {m.data["agent"] for m in children} == {"helper"}
    inner = [m.data["event"]["type"] for m in children]
    assert "final_answer" in inner  # the child's answer, after the gate opened
    kinds = [m.event for m in seen]
    last_child = max(n for n, k in enumerate(kinds) if k == "child_event")
    assert kinds.index("tool_started") < kinds.index("child_event")
    assert last_child < kinds.index("tool_result")
    journaled = [m for m in seen if m.id is not None]
    assert [m.event for m in journaled] == [e.kind for e in journal]  # none of them journaled


def test_without_asking_there_are_no_child_events(tmp_path: Path) -> None:
    gate = Gate()
    gate.opened.set()
    agents = ScriptedAgents([("helper", {"task": "help"}), "done"], [helper(gate).as_tool()])
    with SQLiteStore(tmp_path / "journal.sqlite3") as store, served(store, agents) as base:
        run_id = start(base, "go")
        with httpx.stream("GET", f"{base}/v1/runs/{run_id}/events", headers=AUTH) as stream:
            kinds = [m.event for m in sse_messages(stream)]
    assert "child_event" not in kinds
    assert kinds[-1] == "final_answer"
