"""An agent as a tool on the real embedded model: the lead delegates a conversion to a child
agent that has the conversion tool; the child's run is journaled under the lead's step and its
tokens count as the lead's."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import Agent, tool
from autan.events import ModelResponded, ToolResulted
from autan.models import load_model
from autan.store import SQLiteStore

pytestmark = pytest.mark.e2e


@tool
def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert degrees Celsius to degrees Fahrenheit."""
    return celsius * 9 / 5 + 32


def test_the_lead_delegates_a_conversion_to_a_child_with_a_tool(tmp_path: Path) -> None:
    model = load_model("local")  # one model for both agents: the child runs inside a call
    converter = Agent(
        model,
        [celsius_to_fahrenheit],
        name="converter",
        instructions="You convert temperatures with the tool, then answer with the number.",
    )
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    tools = [converter.as_tool(description="Convert a temperature between units.")]
    lead = Agent(model, tools, name="lead", store=store)
    result = lead.run("Convert 37 degrees Celsius to Fahrenheit.")

    (child, *_) = result.child_runs
    assert child.agent == "converter"
    assert child.answered
    assert child.run_id == f"{result.run_id}:1:0"
    converted = [e for e in store.load(child.run_id) if isinstance(e, ToolResulted)]
    assert converted
    assert converted[0].name == "celsius_to_fahrenheit"
    assert not converted[0].is_error
    own = sum(e.usage.total_tokens for e in result.events if isinstance(e, ModelResponded))
    assert result.usage.total_tokens == own + sum(c.usage.total_tokens for c in result.child_runs)
    assert child.usage.total_tokens > 0
