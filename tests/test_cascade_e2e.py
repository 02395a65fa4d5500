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
