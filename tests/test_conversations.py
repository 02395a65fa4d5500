"""Follow-ups: ``agent.run(task, after=result)`` continues the conversation append-only, is
journaled as a linked run, survives a new process, and refuses what it cannot continue."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import Agent, ConfigurationError, Limits, RunError, SQLiteStore, tool
from autan.messages import Message
from autan.testing import ScriptedModel


@tool
def lookup(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def test_a_follow_up_extends_the_first_runs_transcript() -> None:
    model = ScriptedModel([("lookup", {"city": "Oslo"}), "Sunny.", "Yes, take sunglasses."])
    agent = Agent(model, tools=[lookup])
    first = agent.run("Weather in Oslo?")
    second = agent.run("Do I need sunglasses?", after=first)
    assert second.output == "Yes, take sunglasses."
    sent = model.requests[2].messages
    assert sent[: len(first.messages)] == first.messages
    assert sent[len(first.messages) :] == (Message("user", "Do I need sunglasses?"),)
    assert first.messages[-1] == Message("assistant", "Sunny.")
    assert second.messages[: len(sent)] == sent


def test_each_turn_is_a_run_linked_to_the_one_before(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    agent = Agent(ScriptedModel(["one", "two", "three"]), store=store)
    first = agent.run("1?")
    second = agent.run("2?", after=first)
    third = agent.run("3?", after=second)
    assert "after" not in store.info(str(first.run_id)).config
    assert store.info(str(second.run_id)).config["after"] == first.run_id
    assert store.info(str(third.run_id)).config["after"] == second.run_id


def test_a_stored_conversation_continues_in_a_new_process(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    first_model = ScriptedModel([("lookup", {"city": "Oslo"}), "Sunny.", "Take sunglasses."])
    agent = Agent(first_model, tools=[lookup], store=SQLiteStore(path))
    second = agent.run("Need sunglasses?", after=agent.run("Weather in Oslo?"))
    later_model = ScriptedModel(["Enjoy."])
    later = Agent(later_model, tools=[lookup], store=SQLiteStore(path))
    rebuilt = later.resume(str(second.run_id))
    assert rebuilt.messages == second.messages
    assert rebuilt.output == "Take sunglasses."
    third = later.run("Thanks!", after=rebuilt)
    assert later_model.requests[0].messages[:-1] == second.messages
    assert third.output == "Enjoy."


def test_a_follow_up_on_a_failed_run_is_refused() -> None:
    agent = Agent(ScriptedModel([("lookup", {"city": "Oslo"})]), tools=[lookup])
    with pytest.raises(RunError) as failed:
        Agent(agent.model, tools=[lookup], limits=Limits(max_steps=1)).run("Weather?")
    assert failed.value.result.output is None
    with pytest.raises(ConfigurationError, match="ended without an answer"):
        agent.run("Next?", after=failed.value.result)


def test_resume_of_a_follow_up_that_died_mid_run_keeps_the_history(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    store = SQLiteStore(path)
    agent = Agent(ScriptedModel(["Sunny."]), store=store)
    first = agent.run("Weather?")

    class Died(BaseException):
        pass

    class DiesMidTurn(ScriptedModel):
        def complete(self, request):  # type: ignore[no-untyped-def]
            raise Died

    with pytest.raises(Died):
        Agent(DiesMidTurn([]), store=store).run("Tomorrow?", after=first, run_id="t2")
    model = ScriptedModel(["Rain."])
    resumed = Agent(model, store=SQLiteStore(path)).resume("t2")
    assert resumed.output == "Rain."
    assert model.requests[0].messages == (*first.messages, Message("user", "Tomorrow?"))


def test_a_follow_up_on_another_agents_run_is_refused() -> None:
    first = Agent(ScriptedModel(["Sunny."]), tools=[lookup]).run("Weather?")
    with pytest.raises(ConfigurationError, match="belongs to another agent"):
        Agent(ScriptedModel(["x"])).run("More?", after=first)
    other_words = Agent(ScriptedModel(["x"]), tools=[lookup], instructions="Be terse.")
    with pytest.raises(ConfigurationError, match="belongs to another agent"):
        other_words.run("More?", after=first)


class SmallWindow(ScriptedModel):
    """A model with a 600-token window, counting a token per word."""

    def context_window(self) -> int | None:
        return 600

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_a_conversation_that_outgrows_the_window_drops_old_tool_results_first() -> None:
    @tool
    def page(n: int) -> str:
        """A long page."""
        return "word " * 120

    turns = [("page", {"n": 1}), "read", ("page", {"n": 2}), "read", "done"]
    agent = Agent(SmallWindow(turns), tools=[page])
    first = agent.run("Read page 1.")
    second = agent.run("Read page 2.", after=first)
    model = agent.model
    assert isinstance(model, SmallWindow)
    agent.run("Summarise.", after=second)
    sent = model.requests[-1].messages
    tools = [m.content for m in sent if m.role == "tool"]
    assert tools[0] == "[dropped: 600 characters]"
    assert tools[1].startswith("word word")
    assert sent[0].role == "system"
    assert sent[-1] == Message("user", "Summarise.")


def _words(messages: tuple[Message, ...]) -> int:
    return sum(len(m.content.split()) for m in messages)


def test_the_policy_drops_tool_results_then_the_oldest_turns_never_the_system_or_last() -> None:
    from autan.errors import ContextLengthExceeded
    from autan.loop.history import History, fit_history

    system = Message("system", "be brief")
    turns = [
        Message("user", "one " * 10),
        Message("tool", "result " * 10),
        Message("assistant", "a " * 10),
        Message("user", "two " * 10),
        Message("assistant", "b " * 10),
    ]
    history = History((system, *turns), (1, 4))
    assert fit_history(history, 100, _words) == history
    cut = fit_history(history, 45, _words)
    assert cut.messages[2].content == "[dropped: 70 characters]"
    assert cut.messages[1] == turns[0]
    assert fit_history(history, 30, _words) == History((system, turns[3], turns[4]), (1,))
    with pytest.raises(ContextLengthExceeded, match="last turn alone"):
        fit_history(history, 10, _words)


def test_an_answered_run_another_agent_cannot_replay_still_resumes_but_not_as_history(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.sqlite3"
    run_id = Agent(ScriptedModel(["Sunny."]), store=SQLiteStore(path)).run("Weather?").run_id
    other = Agent(ScriptedModel([]), store=SQLiteStore(path), instructions="Be terse.")
    recorded = other.resume(str(run_id))
    assert recorded.output == "Sunny."
    assert recorded.messages == ()
    with pytest.raises(ConfigurationError, match="no transcript to follow up on"):
        other.run("And tomorrow?", after=recorded)
