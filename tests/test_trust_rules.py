"""A decision per tool: ``allow``, ``ask`` or ``refuse`` once untrusted text is in the context,
over the policy, from ``Agent(trust=...)``, ``autan.toml`` and ``autan run --trust-tool``."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import Agent, AwaitingApproval, ConfigurationError, SQLiteStore, tool
from autan.events import PolicyApplied
from autan.loop import TrustRules
from autan.testing import ScriptedModel
from autan.tools import Tool
from test_trust import ATTACK, PAYLOAD, of_kind, workspace


def calculator_after_a_read(tmp_path: Path) -> tuple[list[Tool], list[object]]:
    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    script: list[object] = [("read_file", {"path": "notes.txt"}), ("add", {"a": 1, "b": 2}), "ok"]
    return [*workspace(tmp_path), add], script


def test_a_tool_set_to_refuse_is_refused_even_with_the_policy_off(tmp_path: Path) -> None:
    rules = {"policy": "off", "tools": {"write_file": "refuse"}}
    result = Agent(ScriptedModel(ATTACK), workspace(tmp_path), trust=rules).run("summarise")
    assert not (tmp_path / "owned.txt").exists()
    (applied,) = of_kind(result.events, PolicyApplied)
    assert applied.action == "refuse"
    assert "write_file is set to 'refuse' in the trust settings" in applied.reason
    assert applied.copied == (PAYLOAD,)


def test_a_tool_set_to_allow_runs_under_strict(tmp_path: Path) -> None:
    rules = TrustRules("strict", {"write_file": "allow"})
    result = Agent(ScriptedModel(ATTACK), workspace(tmp_path), trust=rules).run("summarise")
    assert (tmp_path / "owned.txt").read_text() == PAYLOAD
    assert of_kind(result.events, PolicyApplied) == []


def test_ask_makes_a_tool_without_side_effects_wait_for_a_person(tmp_path: Path) -> None:
    tools, script = calculator_after_a_read(tmp_path)
    assert Agent(ScriptedModel(script), tools).run("add").output == "ok"  # no side effects
    agent = Agent(ScriptedModel(script), tools, trust={"tools": {"add": "ask"}})
    with pytest.raises(AwaitingApproval) as paused:
        agent.run("add")
    assert paused.value.call.name == "add"


def test_the_rules_are_journaled_and_a_resumed_run_keeps_them(tmp_path: Path) -> None:
    @tool(side_effects=True)
    def notify(text: str) -> str:
        """Notify the team."""
        return "notified"

    tools = [*workspace(tmp_path), notify]
    script = [ATTACK[0], ("notify", {"text": "read it"}), ATTACK[1], "done"]
    rules = {"policy": "default", "tools": {"write_file": "refuse"}}
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        first = Agent(ScriptedModel(script, by_step=True), tools, store=store, trust=rules)
        with pytest.raises(AwaitingApproval) as paused:
            first.run("summarise")  # notify waits: the policy, default, asks
        run_id = str(paused.value.result.run_id)
        assert store.info(run_id).config["trust"] == rules
        later = Agent(ScriptedModel(script, by_step=True), tools, store=store, trust="off")
        later.approve(run_id)
        result = later.resume(run_id)  # under the journaled rules, not this agent's "off"
    assert not (tmp_path / "owned.txt").exists()
    assert [e.action for e in of_kind(result.events, PolicyApplied)] == ["approve", "refuse"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"tools": {"write_file": "maybe"}}, "trust.tools.write_file must be 'allow', 'ask'"),
        ({"policy": "paranoid"}, "trust.policy must be 'strict', 'default', 'scoped' or 'off'"),
        ({"polcy": "strict"}, "unknown key 'polcy'"),
        ({"tools": ["write_file"]}, "trust.tools must map tool names"),
        (3, "trust must be a policy name or a table"),
    ],
)
def test_bad_rules_are_configuration_errors_that_say_where(value: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Agent(ScriptedModel(["x"]), trust=value)  # type: ignore[arg-type]
