"""What an MCP server asks during a call, against the SDK-written test server over stdio:
elicitation pauses a journaled run until a person answers (checked against the server's schema),
survives the process, and is declined where nobody can answer; sampling is journaled and counted
against the run's limits, and refused with the limit's error once they are spent."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from autan import (
    Agent,
    AwaitingAnswer,
    ConfigurationError,
    LimitExceeded,
    Limits,
    SQLiteStore,
    mcp_tools,
)
from autan.events import (
    ElicitationAnswered,
    ElicitationRequested,
    Event,
    ModelResponded,
    ServerSampled,
    ToolResulted,
    ToolStarted,
)
from autan.messages import ModelRequest, ModelResponse, Usage
from autan.models.base import Model
from autan.store import answer
from autan.testing import ScriptedModel
from mcp_helpers import server_command

ASK = ("ask_person", {})
NAME_SCHEMA = {"name": {"title": "Name", "type": "string"}}


def outputs(events: tuple[Event, ...]) -> list[str]:
    return [e.output for e in events if isinstance(e, ToolResulted)]


def paused_run(store: SQLiteStore, script: list[object]) -> AwaitingAnswer:
    """Run ``script`` until the server's question pauses it, in an agent of its own."""
    with (
        mcp_tools(server_command()) as tools,
        Agent(ScriptedModel(script, by_step=True), tools, store=store) as agent,  # type: ignore[arg-type]
        pytest.raises(AwaitingAnswer) as paused,
    ):
        agent.run("ask me", run_id="r1")
    return paused.value


def resumed(store: SQLiteStore, script: list[object]) -> tuple[Event, ...]:
    """Resume run ``r1`` as another process would: a new agent, a new server process."""
    with (
        mcp_tools(server_command()) as tools,
        Agent(ScriptedModel(script, by_step=True), tools, store=store) as agent,  # type: ignore[arg-type]
    ):
        result = agent.resume("r1")
        assert agent.replay("r1").same
    assert result.output == "done"
    return result.events


def test_a_question_pauses_the_run_until_a_person_answers_then_the_call_is_made_again(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    paused = paused_run(store, [ASK, "done"])
    assert paused.call.name == "ask_person"
    asked = store.load("r1")[-1]
    assert isinstance(asked, ElicitationRequested)
    assert (asked.server, asked.message) == ("mcp_test_server", "What is your name?")
    assert asked.schema["properties"] == NAME_SCHEMA
    assert not any(isinstance(e, ToolResulted) for e in store.load("r1"))

    with pytest.raises(ConfigurationError, match="name: 3 is not of type 'string'"):
        answer(store, "r1", "accept", {"name": 3})
    answer(store, "r1", "accept", {"name": "Ada"})

    events = resumed(store, [ASK, "done"])
    assert outputs(events) == ['{"result":"elicitation: accept Ada"}']
    kinds = [type(e) for e in events if isinstance(e, ElicitationRequested | ElicitationAnswered)]
    assert kinds == [ElicitationRequested, ElicitationAnswered]
    assert sum(isinstance(e, ToolStarted) for e in events) == 2  # the call, then again


def test_a_declined_answer_reaches_the_server(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    paused_run(store, [ASK, "done"])
    answer(store, "r1", "decline")
    assert outputs(resumed(store, [ASK, "done"])) == ['{"result":"elicitation: decline"}']


def test_resuming_before_an_answer_pauses_again_without_a_result(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    paused_run(store, [ASK, "done"])
    journaled = len(store.load("r1"))
    with (
        mcp_tools(server_command()) as tools,
        Agent(ScriptedModel([ASK, "done"], by_step=True), tools, store=store) as agent,
        pytest.raises(AwaitingAnswer),
    ):
        agent.resume("r1")
    assert len(store.load("r1")) == journaled


def test_a_question_in_a_batch_pauses_only_its_call(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    both = [ASK, ("add", {"a": 1, "b": 2})]
    paused_run(store, [both, "done"])
    answer(store, "r1", "accept", {"name": "Ada"})
    events = resumed(store, [both, "done"])
    assert outputs(events) == ['{"result":"elicitation: accept Ada"}', '{"result":3}']


def test_without_a_journal_nobody_can_answer_and_the_question_is_declined() -> None:
    with (
        mcp_tools(server_command()) as tools,
        Agent(ScriptedModel([ASK, "done"]), tools) as agent,
    ):
        result = agent.run("ask me")
    assert outputs(result.events) == ['{"result":"elicitation: decline"}']
    assert not any(isinstance(e, ElicitationRequested) for e in result.events)


def test_sampling_is_journaled_counted_and_replayed(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    sampler = ScriptedModel(["forty-two", "forty-three"], Usage(7, 3))
    model = ScriptedModel([("ask_model_twice", {"question": "the answer?"}), "done"])
    with (
        mcp_tools(server_command(), sampling_model=sampler) as tools,
        Agent(model, tools, store=store) as agent,
    ):
        result = agent.run("ask", run_id="s1")
        assert agent.replay("s1").same
    samples = [e for e in result.events if isinstance(e, ServerSampled)]
    assert [(s.messages, s.reply, s.refused) for s in samples] == [
        (("user: the answer?",), "forty-two", ""),
        (("user: the answer?",), "forty-three", ""),
    ]
    assert outputs(result.events) == ['{"result":"the model said: forty-two, forty-three"}']
    assert result.usage.total_tokens == 2 * 15 + 2 * 10  # two steps and two samples
    assert [type(e) for e in store.load("s1")] == [type(e) for e in result.events]


class SlowEcho(Model):
    """Replies ``re: QUESTION`` after a while, so that two calls' samples would overlap."""

    name = "slow-echo"

    def complete(self, request: ModelRequest) -> ModelResponse:
        time.sleep(0.3)
        question = request.messages[-1].content
        return ModelResponse(text=f"re: {question}", usage=Usage(7, 3), model=self.name)


def test_two_calls_to_one_server_each_own_their_samples(tmp_path: Path) -> None:
    """The SDK does not say which call a sampling request came from: one server's calls are
    made one at a time, so each sample is journaled under the call that asked."""
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    step = [("ask_model_twice", {"question": "A?"}), ("ask_model_twice", {"question": "B?"})]
    with (
        mcp_tools(server_command(), sampling_model=SlowEcho()) as tools,
        Agent(ScriptedModel([step, "done"]), tools, store=store) as agent,
    ):
        result = agent.run("ask both", run_id="c1")
        assert agent.replay("c1").same
    (first, *_) = [e for e in result.events if isinstance(e, ModelResponded)]
    asked = {c.id: c.arguments["question"] for c in first.tool_calls}
    samples = [e for e in store.load("c1") if isinstance(e, ServerSampled)]
    assert sorted((asked[s.call_id], s.messages, s.reply) for s in samples) == [
        ("A?", ("user: A?",), "re: A?"),
        ("A?", ("user: A?",), "re: A?"),
        ("B?", ("user: B?",), "re: B?"),
        ("B?", ("user: B?",), "re: B?"),
    ]
    assert outputs(result.events) == [
        '{"result":"the model said: re: A?, re: A?"}',
        '{"result":"the model said: re: B?, re: B?"}',
    ]


@pytest.mark.parametrize(
    ("limits", "name"),
    [(Limits(max_steps=2), "max_steps"), (Limits(max_total_tokens=25), "max_total_tokens")],
)
def test_sampling_past_a_limit_is_refused_with_the_limit_error(limits: Limits, name: str) -> None:
    """Step 1 spends 15 tokens and one request: one sample fits (the 2nd request, 10 tokens),
    the second is refused, and the run then stops at the same limit."""
    sampler = ScriptedModel(["forty-two", "never"], Usage(7, 3))
    model = ScriptedModel([("ask_model_twice", {"question": "?"}), "done"])
    with (
        mcp_tools(server_command(), sampling_model=sampler) as tools,
        Agent(model, tools, limits=limits) as agent,
        pytest.raises(LimitExceeded) as stopped,
    ):
        agent.run("ask")
    events = stopped.value.result.events
    samples = [e for e in events if isinstance(e, ServerSampled)]
    assert [s.refused for s in samples] == ["", f"limit {name} reached"]
    (result,) = [e for e in events if isinstance(e, ToolResulted)]
    assert result.is_error
    assert f"limit {name} reached" in result.output
    assert len(sampler.requests) == 1
    assert stopped.value.limit == name


@pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap not installed (CI installs it)",
)
def test_a_code_block_cannot_wait_for_a_person_so_its_question_is_declined(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    code = "Asking.\n```python\nfinal_answer(ask_person())\n```"
    with (
        mcp_tools(server_command()) as tools,
        Agent(ScriptedModel([code]), tools, store=store, actions="code") as agent,
    ):
        result = agent.run("ask me")
    assert result.output == '{"result": "elicitation: decline"}'
    assert not any(isinstance(e, ElicitationRequested) for e in result.events)


def test_two_questions_in_one_step_pause_the_run_one_at_a_time(tmp_path: Path) -> None:
    """One server's calls go one at a time, so each question belongs to the call in flight. The
    first pauses the run; the second's question is journaled too, so the resumed run finds that
    call ended by its question, not started without a result (which would stop a resume: the
    tool is not idempotent). Once the first is answered, the resumed run finishes that call and
    waits on the second; its answer reaches the second call, and the first is not made again."""
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    both = [ASK, ASK]
    first = paused_run(store, [both, "done"])
    answer(store, "r1", "accept", {"name": "Ada"})
    with (
        mcp_tools(server_command()) as tools,
        Agent(ScriptedModel([both, "done"], by_step=True), tools, store=store) as agent,  # type: ignore[arg-type]
        pytest.raises(AwaitingAnswer) as second,
    ):
        agent.resume("r1")
    assert second.value.call.id != first.call.id
    done = [e.call_id for e in store.load("r1") if isinstance(e, ToolResulted)]
    assert done == [first.call.id]
    answer(store, "r1", "accept", {"name": "Grace"})
    events = resumed(store, [both, "done"])
    assert outputs(events) == [
        '{"result":"elicitation: accept Ada"}',
        '{"result":"elicitation: accept Grace"}',
    ]
    answered = [e.call_id for e in events if isinstance(e, ElicitationAnswered)]
    assert answered == [first.call.id, second.value.call.id]
    assert sum(isinstance(e, ToolStarted) for e in events) == 4  # each call, then each again
