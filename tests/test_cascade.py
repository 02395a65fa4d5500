"""Cascades: each escalation reason moves the task up a tier; every tier's record is in the
result and in the journal; other failures and a raising verifier end it with a typed error."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from autan import (
    Agent,
    Cascade,
    CascadeFailed,
    ConfigurationError,
    FinalAnswer,
    Limits,
    ModelRequest,
    ModelResponse,
    RunFailed,
    RunResult,
    SQLiteStore,
    TierEnded,
    TierStarted,
    VerifierFailed,
    tool,
)
from autan.testing import ScriptedModel, Turn


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


class PricedModel(ScriptedModel):
    """A scripted model whose every call costs a cent, like a hosted one."""

    name = "priced"

    def complete(self, request: ModelRequest) -> ModelResponse:
        return dataclasses.replace(super().complete(request), cost_usd=0.01)


def tier(turns: list[Turn], **kwargs: Any) -> Agent[Any]:
    return Agent(ScriptedModel(turns), [add], **kwargs)


LOOPING = [("add", {"a": 1, "b": n}) for n in range(10)]
"""A small model that never stops calling tools: it hits ``max_steps``."""


def test_a_limit_moves_the_task_up_and_each_tier_is_recorded() -> None:
    top = Agent(PricedModel(["3"]), [add])
    cascade = Cascade([tier(LOOPING, limits=Limits(max_steps=2)), top])
    result = cascade.run("What is 1 + 2?")
    assert result.output == "3"
    first, second = result.tiers
    assert (first.tier, first.outcome, first.reason) == (1, "escalated", "limit")
    assert "max_steps" in first.detail
    assert (first.model, first.model_calls, first.usage.prompt_tokens) == ("scripted", 2, 20)
    assert (second.tier, second.outcome, second.reason) == (2, "answered", None)
    assert (second.model, second.cost_usd, second.output) == ("priced", 0.01, "3")
    assert result.answered_by == second
    assert result.escalations == 1
    assert result.cost_usd == pytest.approx(0.01)
    assert result.model_calls == 3
    assert result.usage.completion_tokens == 15
    assert result.result.model_calls == 1  # the answering tier's own run
    assert all(t.seconds >= 0 for t in result.tiers)


def test_the_cheapest_tier_that_answers_is_the_last_one_run() -> None:
    top = PricedModel(["never"])
    result = Cascade([tier(["4"]), Agent(top)]).run("What is 2 + 2?")
    assert result.output == "4"
    assert [t.outcome for t in result.tiers] == ["answered"]
    assert top.requests == []
    assert result.cost_usd == 0


def test_tool_retries_exhausted_escalates() -> None:
    broken = [("no_such_tool", {})] * 5
    cascade = Cascade([tier(broken, limits=Limits(tool_retries=2)), tier(["done"])])
    result = cascade.run("Do it.")
    assert result.tiers[0].reason == "tool_retries"
    assert result.output == "done"


def test_an_answer_that_fails_the_output_type_escalates() -> None:
    small = tier(["many", "lots", "a few"], output_type=int, limits=Limits(tool_retries=2))
    result = Cascade([small, tier(["7"], output_type=int)]).run("How many?")
    assert result.tiers[0].reason == "invalid_answer"
    assert "int" in result.tiers[0].detail
    assert result.output == 7


def test_a_verifier_returning_false_escalates_and_keeps_the_rejected_answer() -> None:
    seen: list[str | None] = []

    def has_digit(run: RunResult[Any]) -> bool:
        seen.append(run.output)
        return any(c.isdigit() for c in run.output or "")

    result = Cascade([tier(["four"]), tier(["4"])], verify=has_digit).run("What is 2 + 2?")
    assert seen == ["four", "4"]
    first = result.tiers[0]
    assert (first.outcome, first.reason, first.output) == ("escalated", "verifier", "four")
    assert result.output == "4"


def test_a_reason_not_escalated_on_ends_the_cascade() -> None:
    top = ScriptedModel(["3"])
    small = tier(LOOPING, limits=Limits(max_steps=2))
    cascade = Cascade([small, Agent(top)], escalate_on=["tool_retries"])
    with pytest.raises(CascadeFailed, match="does not escalate on: tier 1") as failed:
        cascade.run("What is 1 + 2?")
    assert top.requests == []
    assert [(t.outcome, t.reason) for t in failed.value.tiers] == [("failed", "limit")]
    assert failed.value.result.model_calls == 2


def test_when_every_tier_fails_the_error_holds_every_tier() -> None:
    cascade = Cascade([tier(["no"]), tier(["still no"])], verify=lambda run: False)
    with pytest.raises(CascadeFailed, match="no tier gave an accepted answer") as failed:
        cascade.run("Say yes.")
    assert [(t.outcome, t.output) for t in failed.value.tiers] == [
        ("escalated", "no"),
        ("failed", "still no"),
    ]


def test_a_verifier_that_raises_is_a_typed_error_with_its_cause() -> None:
    def broken(run: RunResult[Any]) -> bool:
        raise KeyError("answer")

    with pytest.raises(VerifierFailed, match="raised on tier 1's answer: KeyError") as failed:
        Cascade([tier(["4"]), tier(["5"])], verify=broken).run("What is 2 + 2?")
    assert isinstance(failed.value.__cause__, KeyError)
    assert failed.value.result.output == "4"


def test_a_verifier_must_return_a_bool() -> None:
    def forgot_return(run: RunResult[Any]) -> bool:
        return None  # type: ignore[return-value]

    with pytest.raises(VerifierFailed, match="returned NoneType, not a bool"):
        Cascade([tier(["4"])], verify=forgot_return).run("What is 2 + 2?")


def test_the_journal_links_each_tier_run_to_the_cascade(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    top = Agent(PricedModel(["3"]), [add])
    cascade = Cascade([tier(LOOPING, limits=Limits(max_steps=2)), top], store=store)
    result = cascade.run("What is 1 + 2?", run_id="c1")
    events = store.load("c1")
    assert [type(e) for e in events] == [
        TierStarted,
        TierEnded,
        TierStarted,
        TierEnded,
        FinalAnswer,
    ]
    assert events[0] == TierStarted(1, "c1-1", "scripted")
    assert events[1] == result.tiers[0]
    assert events[3] == result.tiers[1]
    assert store.info("c1").status == "completed"
    assert store.info("c1").config["cascade"]["tiers"] == ["scripted", "priced"]
    for number in (1, 2):
        info = store.info(f"c1-{number}")
        assert info.config["cascade_tier"] == {"cascade": "c1", "tier": number}
    assert store.info("c1-1").status == "failed"
    assert store.info("c1-2").status == "completed"
    assert top.store is None  # the tier as given is unchanged


def test_a_failed_cascade_is_journaled_as_failed_and_resumes_as_failed(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    cascade = Cascade([tier(["no"])], verify=lambda run: False, store=store)
    with pytest.raises(CascadeFailed):
        cascade.run("Say yes.", run_id="c2")
    last = store.load("c2")[-1]
    assert isinstance(last, RunFailed)
    assert last.error == "CascadeFailed"
    with pytest.raises(CascadeFailed, match="no tier gave an accepted answer"):
        cascade.resume("c2")


def test_a_verifier_fixed_after_it_raised_resumes_without_running_the_tier_again(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "j.sqlite3")
    small, top = ScriptedModel(["four"]), ScriptedModel(["4"])

    def broken(run: RunResult[Any]) -> bool:
        raise ValueError("bug")

    tiers = [Agent(small, store=store), Agent(top, store=store)]
    with pytest.raises(VerifierFailed):
        Cascade(tiers, verify=broken).run("What is 2 + 2?", run_id="c3")
    fixed = Cascade(tiers, verify=lambda run: run.output == "4")
    result = fixed.resume("c3")
    assert result.output == "4"
    assert len(small.requests) == 1  # tier 1's answer was verified again, not asked again
    assert [t.reason for t in result.tiers] == ["verifier", None]
    assert fixed.resume("c3").output == "4"  # an ended cascade gives its answer again
    assert len(top.requests) == 1


def test_bad_configurations_fail_before_running() -> None:
    with pytest.raises(ConfigurationError, match="at least one tier"):
        Cascade([])
    with pytest.raises(ConfigurationError, match="unknown escalation reason 'timeout'"):
        Cascade([tier(["x"])], escalate_on=["timeout"])
    with pytest.raises(ConfigurationError, match="escalates on 'verifier'"):
        Cascade([tier(["x"])], escalate_on=["limit"], verify=lambda run: True)
    with pytest.raises(ConfigurationError, match="one output_type"):
        Cascade([tier(["x"]), tier(["1"], output_type=int)])
    with pytest.raises(ConfigurationError, match="the task is empty"):
        Cascade([tier(["x"])]).run("  ")
