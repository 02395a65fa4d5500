"""A good agent file, built by ``autan.load_agent`` and driven by ``ScriptedModel``\\ s: a
handoff, an agent used as a tool, entry-point tools, a typed answer and a cascade, all as
declared."""

from __future__ import annotations

import json
from pathlib import Path

from autan import Agent, Cascade, load_agent
from autan.events import HandedOff
from autan.store import SQLiteStore
from autan.testing import ScriptedModel

TEAM = """\
entry = "triage"

[agents.triage]
instructions = "You triage."
tools = ["agent_file_tools:shout"]
agent_tools = ["researcher"]
handoffs = ["billing"]

[agents.researcher]
description = "looks orders up"
instructions = "You research orders."
tools = ["agent_file_tools:status"]
[agents.researcher.limits]
max_steps = 4

[agents.billing]
instructions = "You do billing."
tools = ["calculator"]
"""

CASCADE = """\
entry = "solve"

[agents.small]
instructions = "Be quick."
tools = ["calculator"]
[agents.small.limits]
max_steps = 1

[agents.big]
instructions = "Be right."

[cascades.solve]
tiers = ["small", "big"]
escalate_on = ["limit"]
"""


def team_models() -> dict[str, ScriptedModel]:
    return {
        "triage": ScriptedModel(
            [
                ("shout", {"text": "hello"}),
                ("researcher", {"task": "Where is order A1?"}),
                ("transfer_to_billing", {}),
            ]
        ),
        "researcher": ScriptedModel([("order_status", {"order": "A1"}), "A1 has shipped."]),
        "billing": ScriptedModel([("calculator", {"expression": "2 * 21"}), "You owe 42."]),
    }


def test_a_team_file_runs_its_handoff_and_its_agent_tool(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(TEAM, encoding="utf-8")
    models = team_models()
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    triage = load_agent(path, models=models, store=store)
    assert isinstance(triage, Agent)
    result = triage.run("Where is A1 and what do I owe?")
    assert result.output == "You owe 42."
    assert result.agent == "billing"
    handed = [(e.from_agent, e.to_agent) for e in result.events if isinstance(e, HandedOff)]
    assert handed == [("triage", "billing")]
    (child,) = result.child_runs  # researcher ran as a child, journaled
    assert (child.agent, child.answered, child.model_calls) == ("researcher", True, 2)
    assert store.load(child.run_id)
    offered = [t.name for t in models["triage"].requests[0].tools]
    assert offered == ["shout", "researcher", "transfer_to_billing"]
    described = {t.name: t.description for t in models["triage"].requests[0].tools}
    assert described["researcher"] == "looks orders up"
    seen = [m.content for m in models["triage"].requests[-1].messages]
    assert "HELLO!" in seen  # the entry point ran
    assert "A1 has shipped." in seen  # the child's answer came back as the tool result
    researched = models["researcher"].requests[0]
    assert researched.messages[0].content == "You research orders."
    assert [t.name for t in researched.tools] == ["order_status"]
    assert models["billing"].requests[0].messages[0].content == "You do billing."
    assert store.load(str(result.run_id)) == list(result.events)  # journaled in the store
    store.close()


def test_limits_and_instructions_come_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(TEAM, encoding="utf-8")
    triage = load_agent(path, models=team_models())
    assert isinstance(triage, Agent)
    (billing,) = triage.handoffs
    researcher = next(t for t in triage.tools if t.name == "researcher")
    assert billing.instructions == "You do billing."
    assert [t.name for t in billing.tools] == ["calculator"]
    assert researcher.description == "looks orders up"
    assert triage.limits.max_steps == 10  # left out: the default


def test_a_cascade_entry_escalates_as_declared(tmp_path: Path) -> None:
    path = tmp_path / "cascade.toml"
    path.write_text(CASCADE, encoding="utf-8")
    small = ScriptedModel([("calculator", {"expression": "6 * 7"})])
    big = ScriptedModel(["42"])
    cascade = load_agent(path, models={"small": small, "big": big})
    assert isinstance(cascade, Cascade)
    assert cascade.escalate_on == ("limit",)
    result = cascade.run("What is 6 * 7?")
    assert result.output == "42"
    assert [(t.tier, t.outcome, t.reason) for t in result.tiers] == [
        (1, "escalated", "limit"),
        (2, "answered", None),
    ]
    assert small.requests[0].messages[0].content == "Be quick."


def test_an_output_schema_file_types_the_answer(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "answer.json").write_text(json.dumps(schema), encoding="utf-8")
    path = tmp_path / "typed.toml"
    text = '[agents.counter]\noutput_schema = "schemas/answer.json"\n'
    path.write_text(text, encoding="utf-8")
    agent = load_agent(path, models={"counter": ScriptedModel(['{"n": 4}'])})
    assert isinstance(agent, Agent)
    assert agent.run("How many?").output == {"n": 4}


def test_agents_on_the_same_model_share_one_loaded_model(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    spec = "openai:m@http://127.0.0.1:9/v1"
    path.write_text(
        f'[agents.a]\nmodel = "{spec}"\nhandoffs = ["b"]\n[agents.b]\nmodel = "{spec}"\n',
        encoding="utf-8",
    )
    agent = load_agent(path)
    assert isinstance(agent, Agent)
    assert agent.model is agent.handoffs[0].model


def test_the_workspace_is_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "note.txt").write_text("the note", encoding="utf-8")
    path = tmp_path / "team.toml"
    path.write_text('workspace = "data"\n[agents.reader]\ntools = ["read_file"]\n', "utf-8")
    model = ScriptedModel([("read_file", {"path": "note.txt"}), "done"])
    agent = load_agent(path, models={"reader": model})
    assert isinstance(agent, Agent)
    agent.run("Read the note.")
    assert any("the note" in (m.content or "") for m in model.requests[-1].messages)


CASCADE_TOOL = (
    CASCADE.replace('entry = "solve"', 'entry = "lead"')
    + """
[agents.lead]
instructions = "Ask the solver."
agent_tools = ["solve"]
"""
)


def test_a_cascade_of_the_file_is_an_agents_tool(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(CASCADE_TOOL)
    small = ScriptedModel([("calculator", {"expression": "2 + 2"}), "4"])
    big = ScriptedModel(["4, surely"])
    lead_model = ScriptedModel([("solve", {"task": "2 + 2?"}), "the solver says 4, surely"])
    models = {"small": small, "big": big, "lead": lead_model}
    lead = load_agent(path, models=models, store=SQLiteStore(tmp_path / "j.sqlite3"))
    assert isinstance(lead, Agent)
    assert [t.name for t in lead.tools] == ["solve"]
    result = lead.run("What is 2 + 2?")
    assert result.output == "the solver says 4, surely"
    (child,) = result.child_runs
    assert child.agent == "solve"
    assert child.model_calls == 2  # tier 1 hit max_steps, tier 2 answered
    assert child.answered
    (shown,) = [m.content for m in lead_model.requests[1].messages if m.role == "tool"]
    assert shown == "4, surely"
