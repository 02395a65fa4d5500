"""Cascades: a backend failure escalates only when asked; a tier's pause pauses the cascade,
which resumes with it; the stream shows every tier; tiers share one store."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import (
    Agent,
    AwaitingApproval,
    Cascade,
    CascadeFailed,
    ConfigurationError,
    FinalAnswer,
    ModelRequested,
    SQLiteStore,
    TextDelta,
    TierEnded,
    TierStarted,
    tool,
)
from autan.testing import ScriptedModel


def down() -> Agent:
    """A backend that fails at its first call (``ModelError``), like a server that is down."""
    return Agent(ScriptedModel([]))


def test_a_model_error_escalates_only_when_asked() -> None:
    with pytest.raises(CascadeFailed, match="failed with model_error, which the cascade does"):
        Cascade([down(), Agent(ScriptedModel(["4"]))]).run("2 + 2?")
    asked = Cascade([down(), Agent(ScriptedModel(["4"]))], escalate_on="model_error")
    result = asked.run("2 + 2?")
    assert result.output == "4"
    assert result.tiers[0].reason == "model_error"
    assert "ModelError: ScriptedModel has no turn 1" in result.tiers[0].detail


def test_the_stream_shows_each_tier_between_its_start_and_end() -> None:
    small = Agent(ScriptedModel(["no"]))
    cascade = Cascade([small, Agent(ScriptedModel(["yes"]))], verify=lambda r: r.output == "yes")
    stream = cascade.stream("Say yes.")
    kinds = []
    while True:
        try:
            event = next(stream)
        except StopIteration as stop:
            result = stop.value
            break
        if not isinstance(event, TextDelta):
            kinds.append(type(event).__name__)
    assert result.output == "yes"
    tier = ["TierStarted", "RunStarted", "ModelRequested", "ModelResponded", "FinalAnswer"]
    assert kinds == [*tier, "TierEnded", *tier, "TierEnded"]


def test_a_tier_waiting_for_approval_pauses_the_cascade_and_resumes_with_it(
    tmp_path: Path,
) -> None:
    @tool(needs_approval=True)
    def pay(amount: int) -> str:
        """Pay."""
        return f"paid {amount}"

    store = SQLiteStore(tmp_path / "j.sqlite3")
    small = Agent(ScriptedModel([("pay", {"amount": 5}), "paid"], by_step=True), [pay])
    cascade = Cascade([small, Agent(ScriptedModel(["never"]), [pay])], store=store)
    with pytest.raises(AwaitingApproval):
        cascade.run("Pay 5.", run_id="p")
    assert [type(e) for e in store.load("p")] == [TierStarted]
    small.store = store  # the tier's own run is approved like any run
    small.approve("p-1")
    result = cascade.resume("p")
    assert result.output == "paid"
    assert [t.outcome for t in result.tiers] == ["answered"]
    assert isinstance(store.load("p")[-1], FinalAnswer)
    assert [type(e) for e in store.load("p")][:2] == [TierStarted, TierEnded]
    assert sum(isinstance(e, ModelRequested) for e in store.load("p-1")) == 2


def test_tiers_journal_to_one_store(tmp_path: Path) -> None:
    one, two = SQLiteStore(tmp_path / "1.sqlite3"), SQLiteStore(tmp_path / "2.sqlite3")
    tiers = [Agent(ScriptedModel(["a"]), store=one), Agent(ScriptedModel(["b"]), store=two)]
    with pytest.raises(ConfigurationError, match="one store"):
        Cascade(tiers)
    assert Cascade(tiers, store=one).run("x").output == "a"
    with pytest.raises(ConfigurationError, match="resume needs a Cascade with a store"):
        Cascade([Agent(ScriptedModel(["a"]))]).resume("x")
    Agent(ScriptedModel(["a"]), store=one).run("plain", run_id="plain")
    with pytest.raises(ConfigurationError, match="is not a cascade's run"):
        Cascade(tiers, store=one).resume("plain")
