"""Every way of running an agent goes through one driver: sync and async, streamed or not,
produce the same events from the same script."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterable

from autan import Agent, Event, TextDelta, ToolResulted, tool
from autan.testing import ScriptedModel


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


TURNS: list[object] = [("add", {"a": 2, "b": 3}), "The sum is five."]


def agent() -> Agent:
    return Agent(ScriptedModel(TURNS), [add])  # type: ignore[arg-type]


async def collect(events: AsyncIterator[Event]) -> list[Event]:
    return [event async for event in events]


def untimed(events: Iterable[Event]) -> list[Event]:
    """The events without their measured seconds, which differ from run to run."""
    return [
        dataclasses.replace(e, seconds=0.0) if hasattr(e, "seconds") else e  # type: ignore[type-var]
        for e in events
    ]


def test_astream_yields_the_text_deltas_that_stream_yields() -> None:
    streamed = list(agent().stream("add 2 and 3", run_id="r"))
    astreamed = asyncio.run(collect(agent().astream("add 2 and 3", run_id="r")))
    deltas = [e.text for e in astreamed if isinstance(e, TextDelta)]
    assert "".join(deltas) == "The sum is five."
    assert untimed(astreamed) == untimed(streamed)


def test_arun_and_run_record_the_same_events() -> None:
    sync = agent().run("add 2 and 3", run_id="r")
    together = asyncio.run(agent().arun("add 2 and 3", run_id="r"))
    assert untimed(together.events) == untimed(sync.events)
    assert [e.output for e in sync.events if isinstance(e, ToolResulted)] == ["5"]


def test_runs_without_streaming_have_no_text_deltas() -> None:
    assert not [e for e in agent().run("add 2 and 3").events if isinstance(e, TextDelta)]
