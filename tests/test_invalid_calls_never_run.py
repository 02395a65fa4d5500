"""Whatever arguments a model sends, a tool runs only with values its signature allows, and every
call that satisfies the tool's JSON Schema does run (property-based, no model needed)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field

from autan import Agent, Limits, ToolRetriesExhausted, tool
from autan.testing import ScriptedModel

received: list[dict[str, Any]] = []


@tool
def book(
    city: str, nights: Annotated[int, Field(ge=1, le=30)], kind: Literal["hotel", "flat"] = "hotel"
) -> str:
    """Book a stay.

    Args:
        city: where
        nights: how many nights
        kind: hotel or flat
    """
    received.append({"city": city, "nights": nights, "kind": kind})
    return "booked"


values = st.none() | st.booleans() | st.integers(-5, 40) | st.floats() | st.text(max_size=8)
near_valid = st.fixed_dictionaries(
    {"city": values | st.just("Oslo"), "nights": values},
    optional={"kind": values | st.sampled_from(["hotel", "flat"]), "extra": values},
)
anything = st.dictionaries(st.text(max_size=6), values, max_size=4)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(near_valid | anything)
def test_a_tool_runs_only_on_arguments_its_signature_allows(arguments: dict[str, Any]) -> None:
    received.clear()
    agent = Agent(ScriptedModel([("book", arguments), "done"]), tools=[book])
    agent.limits = Limits(tool_retries=3)
    agent.run("book")
    schema_valid = jsonschema.Draft202012Validator(book.spec.parameters).is_valid(arguments)
    if schema_valid:
        assert len(received) == 1
    for call in received:
        assert isinstance(call["city"], str)
        assert type(call["nights"]) is int
        assert 1 <= call["nights"] <= 30
        assert call["kind"] in ("hotel", "flat")


def test_repeated_invalid_calls_end_in_a_typed_failure_without_running() -> None:
    received.clear()
    bad = ("book", {"city": "Oslo", "nights": 0})
    agent = Agent(ScriptedModel([bad, bad, bad, "done"]), tools=[book])
    with pytest.raises(ToolRetriesExhausted) as failed:
        agent.run("book")
    assert failed.value.result is not None
    assert received == []
