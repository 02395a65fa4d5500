"""Handoffs (``Agent(handoffs=[...])``): one ``transfer_to_<name>`` tool per target; the target
continues the same run with the history and its own instructions, tools and model."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import Agent, ConfigurationError, tool
from autan.events import HandedOff
from autan.messages import ModelRequest, ModelResponse
from autan.store import SQLiteStore
from autan.testing import ScriptedModel


@tool
def refund(order: str) -> str:
    """Refund an order."""
    return f"refunded {order}"


@tool
def lookup_order(order: str) -> str:
    """Look an order up."""
    return f"order {order}: paid"


def chain(
    store: SQLiteStore | None = None,
) -> tuple[Agent, ScriptedModel, ScriptedModel, ScriptedModel]:
    """triage → billing → refunds."""
    refunds_model = ScriptedModel([("refund", {"order": "A1"}), "Refunded order A1."])
    refunds = Agent(refunds_model, [refund], instructions="You refund.", name="refunds")
    billing_model = ScriptedModel([("lookup_order", {"order": "A1"}), ("transfer_to_refunds", {})])
    billing = Agent(
        billing_model,
        [lookup_order],
        instructions="You do billing.",
        name="billing",
        description="invoices and payments",
        handoffs=[refunds],
    )
    triage_model = ScriptedModel([("transfer_to_billing", {})])
    triage = Agent(triage_model, instructions="You triage.", handoffs=[billing], store=store)
    triage.name = "triage"
    return triage, triage_model, billing_model, refunds_model


def test_a_handoff_chain_answers_from_the_last_agent(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    triage, triage_model, billing_model, refunds_model = chain(store)
    result = triage.run("Refund my order A1")
    assert result.output == "Refunded order A1."
    assert result.agent == "refunds"
    handoffs = [e for e in result.events if isinstance(e, HandedOff)]
    assert [(h.from_agent, h.to_agent) for h in handoffs] == [
        ("triage", "billing"),
        ("billing", "refunds"),
    ]
    assert store.load(str(result.run_id)) == list(result.events)  # journaled
    # one offered tool per target, described by it
    (offered,) = triage_model.requests[0].tools
    assert offered.name == "transfer_to_billing"
    assert "invoices and payments" in offered.description
    # each target reads the history so far under its own instructions, with its own tools
    first = billing_model.requests[0]
    assert first.messages[0].content == "You do billing."
    assert first.messages[1].content == "Refund my order A1"
    assert first.messages[2].tool_calls[0].name == "transfer_to_billing"
    assert [t.name for t in first.tools] == ["lookup_order", "transfer_to_refunds"]
    last = refunds_model.requests[-1]
    assert last.messages[0].content == "You refund."
    assert [t.name for t in last.tools] == ["refund"]
    assert any(m.content == "order A1: paid" for m in last.messages)
    assert len(triage_model.requests) == 1


def test_the_cli_says_which_agent_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from autan.cli import main

    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    with SQLiteStore() as store:
        result = chain(store)[0].run("Refund my order A1")
    assert main(["runs", "show", str(result.run_id)]) == 0
    out = capsys.readouterr().out
    assert "⇢ triage hands the conversation to billing" in out
    assert "⇢ billing hands the conversation to refunds" in out
    assert out.rstrip().endswith("answered by refunds")


class Interrupting(ScriptedModel):
    """Stops the process (as Ctrl-C would) at its first request."""

    def complete(self, request: ModelRequest) -> ModelResponse:
        raise KeyboardInterrupt


def test_a_resumed_run_goes_on_with_the_agent_handed_to(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    triage, _, _, _ = chain(store)
    billing = triage.handoffs[0]
    billing.model = Interrupting([])
    with pytest.raises(KeyboardInterrupt):
        triage.run("Refund my order A1", run_id="r1")
    fresh, triage_model, billing_model, _refunds_model = chain(store)
    result = fresh.resume("r1")
    assert result.output == "Refunded order A1."
    assert result.agent == "refunds"
    assert triage_model.requests == []  # its step was replayed from the journal
    assert [r.step for r in billing_model.requests] == [2, 3]
    assert fresh.replay("r1").same


def test_a_call_of_an_unknown_transfer_is_an_error_the_model_reads() -> None:
    billing = Agent(ScriptedModel(["unused"]), name="billing")
    model = ScriptedModel([("transfer_to_nobody", {}), "sorry"])
    result = Agent(model, handoffs=[billing]).run("help")
    shown = [m.content for m in model.requests[1].messages if m.role == "tool"]
    assert shown == ["error: unknown tool 'transfer_to_nobody'; valid tools: transfer_to_billing"]
    assert result.agent == "agent"
    assert result.output == "sorry"


def test_two_transfers_in_one_step_make_the_first() -> None:
    billing = Agent(ScriptedModel(["billing answers"]), name="billing")
    support = Agent(ScriptedModel(["unused"]), name="support")
    model = ScriptedModel([[("transfer_to_billing", {}), ("transfer_to_support", {})]])
    result = Agent(model, handoffs=[billing, support]).run("help")
    assert result.agent == "billing"
    assert result.output == "billing answers"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("bad name", "must be an ASCII identifier"),
        ("", "must be an ASCII identifier"),
        ("façade", "must be an ASCII identifier"),
        ("x" * 49, "must be an ASCII identifier"),
    ],
)
def test_a_bad_agent_name_is_refused(name: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        Agent(ScriptedModel([]), name=name)


def test_bad_handoff_targets_are_refused() -> None:
    one = Agent(ScriptedModel([]), name="billing")
    two = Agent(ScriptedModel([]), name="billing")
    with pytest.raises(ConfigurationError, match="two agents of a handoff are named 'billing'"):
        Agent(ScriptedModel([]), handoffs=[one, two])
    with pytest.raises(ConfigurationError, match="must be an Agent"):
        Agent(ScriptedModel([]), handoffs=["billing"])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="two tools share a name: transfer_to_billing"):
        Agent(ScriptedModel([]), [tool(name="transfer_to_billing")(lambda: "")], handoffs=[one])
    typed = Agent(ScriptedModel([]), name="typed", output_type=int)
    with pytest.raises(ConfigurationError, match="same output_type"):
        Agent(ScriptedModel([]), handoffs=[typed])


def test_two_agents_of_one_name_reachable_by_handoffs_are_refused_when_run() -> None:
    deep = Agent(ScriptedModel([]), name="triage")
    middle = Agent(ScriptedModel([]), name="billing", handoffs=[deep])
    with pytest.raises(ConfigurationError, match="two agents of a handoff are named 'triage'"):
        Agent(ScriptedModel([("transfer_to_billing", {})]), name="triage", handoffs=[middle]).run(
            "help"
        )


def test_handoffs_can_go_back_and_forth() -> None:
    triage = Agent(ScriptedModel([("transfer_to_billing", {}), "triage again"]), name="triage")
    billing = Agent(ScriptedModel([("transfer_to_triage", {})]), name="billing", handoffs=[triage])
    triage.handoffs = (billing,)
    result = triage.run("help")
    assert result.output == "triage again"
    assert result.agent == "triage"


def test_streamed_and_async_runs_hand_off_too() -> None:
    import asyncio

    from autan.events import TextDelta

    def fresh() -> Agent:
        billing = Agent(ScriptedModel(["billing answers"]), name="billing")
        return Agent(ScriptedModel([("transfer_to_billing", {})]), handoffs=[billing])

    deltas = "".join(e.text for e in fresh().stream("help") if isinstance(e, TextDelta))
    assert deltas == "billing answers"
    result = asyncio.run(fresh().arun("help"))
    assert result.agent == "billing"
    assert result.output == "billing answers"


class Rendering(ScriptedModel):
    """Renders a prompt with its own name first, to tell whose model rendered it."""

    def __init__(self, turns: list[object], label: str) -> None:
        super().__init__(turns)  # type: ignore[arg-type]
        self.label = label

    def render_prompt(self, request: ModelRequest) -> str:
        return f"{self.label}: {request.messages[0].content}"


def test_the_prompts_of_a_handed_off_run_are_rendered_by_each_agents_model(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    billing = Agent(Rendering(["paid"], "B"), name="billing", instructions="You bill.")
    triage = Agent(
        Rendering([("transfer_to_billing", {})], "T"),
        name="triage",
        instructions="You triage.",
        handoffs=[billing],
        store=store,
    )
    run_id = str(triage.run("invoice?").run_id)
    assert triage.prompts(run_id) == [(1, "T: You triage."), (2, "B: You bill.")]
