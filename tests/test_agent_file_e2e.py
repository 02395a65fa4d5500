"""An agent file on the real embedded model: the lead uses a converter agent (whose tool is a
Python entry point) as a tool; both agents share the one loaded model."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import Agent, load_agent
from autan.events import ToolResulted
from autan.store import SQLiteStore

pytestmark = pytest.mark.e2e

TEAM = """\
entry = "lead"

[agents.lead]
model = "local"
agent_tools = ["converter"]

[agents.converter]
model = "local"
description = "Convert a temperature between units."
instructions = "You convert temperatures with the tool, then answer with the number."
tools = ["agent_file_tools:celsius_to_fahrenheit"]
"""


def test_a_file_declared_lead_delegates_to_its_converter(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(TEAM, encoding="utf-8")
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    lead = load_agent(path, store=store)
    assert isinstance(lead, Agent)
    result = lead.run("Convert 37 degrees Celsius to Fahrenheit.")
    (child, *_) = result.child_runs
    assert child.agent == "converter"
    assert child.answered
    converted = [e for e in store.load(child.run_id) if isinstance(e, ToolResulted)]
    assert converted
    assert converted[0].name == "celsius_to_fahrenheit"
    assert not converted[0].is_error
    assert result.output
    store.close()
