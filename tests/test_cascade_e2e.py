"""A cascade with the real embedded model as tier 1 and a server on loopback as tier 2: the
small model's answer is judged, the task moves up, and both tiers' real numbers are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autan import Agent, Cascade, RunResult, SQLiteStore, TierEnded, load_model
from autan.pricing import DEFAULT_PRICES
from autan.tools.calculator import calculator
from fake_chat_server import FakeChatServer, Reply, completion

pytestmark = pytest.mark.e2e

ANSWER = "4876 * 7 = 34132."


def exact(run: RunResult[Any]) -> bool:
    """Accepts only the server's wording: a 135M model does not write it."""
    return run.output == ANSWER


def test_the_embedded_model_first_then_the_server(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    price = {"openai:big": DEFAULT_PRICES["deepseek:deepseek-chat"]}
    with FakeChatServer([Reply(body=completion(ANSWER))]) as server:
        big = load_model(f"openai:big@{server.url}", "native", prices=price)
        tiers = [Agent("local", [calculator]), Agent(big, [calculator])]
        result = Cascade(tiers, verify=exact, store=store).run("What is 4876 * 7?")
    assert result.output == ANSWER
    small, top = result.tiers
    assert (small.model, small.outcome, small.reason) == ("local", "escalated", "verifier")
    assert small.output is not None
    assert small.output != ANSWER
    assert small.model_calls >= 1
    assert small.usage.prompt_tokens > 0
    assert small.cost_usd == 0
    assert small.seconds > 0
    assert (top.model, top.outcome, top.model_calls) == ("openai:big", "answered", 1)
    assert top.cost_usd > 0
    assert result.cost_usd == top.cost_usd
    recorded = [e for e in store.load(result.run_id) if isinstance(e, TierEnded)]
    assert recorded == list(result.tiers)


def test_a_cascade_tool_streams_its_tiers_async_in_the_leads_events(tmp_path: Path) -> None:
    import asyncio

    from autan import ChildEvent, Event, ModelResponded, TierStarted, ToolResulted
    from autan.testing import ScriptedModel

    store = SQLiteStore(tmp_path / "j.sqlite3")
    price = {"openai:big": DEFAULT_PRICES["deepseek:deepseek-chat"]}
    with FakeChatServer([Reply(body=completion(ANSWER))]) as server:
        big = load_model(f"openai:big@{server.url}", "native", prices=price)
        tiers = [Agent("local", [calculator]), Agent(big, [calculator])]
        solver = Cascade(tiers, verify=exact).as_tool(name="solver", description="Solve sums.")
        lead_model = ScriptedModel([("solver", {"task": "What is 4876 * 7?"}), "done"])
        lead = Agent(lead_model, [solver], store=store, name="lead")

        async def collect() -> list[Event]:
            return [event async for event in lead.astream("What is 4876 * 7?")]

        events = asyncio.run(collect())
    children = [e for e in events if isinstance(e, ChildEvent)]
    assert {e.agent for e in children} == {"solver"}
    started = [e.event for e in children if isinstance(e.event, TierStarted)]
    assert [t.model for t in started] == ["local", "openai:big"]
    local = [e.event for e in children if isinstance(e.event, ModelResponded)]
    assert local[0].model == "local"  # the embedded model's own response, live
    (called,) = [e for e in events if isinstance(e, ToolResulted)]
    assert called.output == ANSWER
    assert called.child is not None
    assert called.child.cost_usd > 0
    assert called.child.model_calls >= 2
