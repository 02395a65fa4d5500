"""A conversation's turns are its runs, not its user messages: an answer's "Invalid answer"
feedback or a code block's output inside a turn begins no turn, so the window policy drops a
long turn whole and drops code outputs like tool results."""

from __future__ import annotations

from pydantic import BaseModel, field_validator

from autan import Agent
from autan.loop.history import History, fit_history
from autan.messages import Message
from autan.testing import ScriptedModel


class Booking(BaseModel):
    nights: int

    @field_validator("nights")
    @classmethod
    def positive(cls, nights: int) -> int:
        if nights < 1:
            raise ValueError("a booking is at least one night")
        return nights


def _words(messages: tuple[Message, ...]) -> int:
    return sum(len(m.content.split()) for m in messages)


def test_a_run_s_turns_are_its_task_messages_not_its_feedback() -> None:
    model = ScriptedModel(['{"nights": 0}', '{"nights": 2}', '{"nights": 5}'])
    agent = Agent(model, output_type=Booking)
    first = agent.run("How many nights?")
    assert first.messages[3].content.startswith("Invalid answer:")
    assert first.turns == (1,)
    second = agent.run("And next month?", after=first)
    assert second.turns == (1, len(first.messages))
    assert second.messages[second.turns[1]] == Message("user", "And next month?")


def test_a_long_turn_with_feedback_is_dropped_whole() -> None:
    system = Message("system", "book rooms")
    first_turn = [
        Message("user", "book " * 10),
        Message("assistant", '{"nights": 0}'),
        Message("user", "Invalid answer: nights: at least one night. Answer again."),
        Message("assistant", "x " * 20),
    ]
    last_turn = [Message("user", "again " * 5), Message("assistant", "y " * 5)]
    history = History((system, *first_turn, *last_turn), (1, 5))
    cut = fit_history(history, 20, _words)
    assert cut == History((system, *last_turn), (1,))


def test_code_outputs_are_dropped_like_tool_results_before_any_turn() -> None:
    system = Message("system", "compute")
    output = Message("user", "out " * 30, source="code")
    first_turn = [Message("user", "run it"), Message("assistant", "```python\nx\n```"), output]
    last_turn = [Message("user", "and now"), Message("assistant", "done")]
    history = History((system, *first_turn, Message("assistant", "ok"), *last_turn), (1, 5))
    cut = fit_history(history, 15, _words)
    assert cut.turns == (1, 5)
    assert cut.messages[3] == Message("user", "[dropped: 120 characters]", source="code")
    assert cut.messages[1] == first_turn[0]


class SmallWindow(ScriptedModel):
    """A model whose window leaves 125 tokens beside a step's reply, a token per word."""

    def context_window(self) -> int | None:
        return 125 + 256

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_a_follow_up_past_the_window_drops_the_oldest_run_with_its_feedback() -> None:
    long = " ".join(["nights"] * 30)
    model = SmallWindow(['{"nights": 0}', '{"nights": 2}', '{"nights": 3}', '{"nights": 4}'])
    agent = Agent(model, output_type=Booking)
    first = agent.run(f"First booking: {long}")
    second = agent.run("Second?", after=first)
    assert model.requests[-1].messages[: len(first.messages)] == first.messages
    third = agent.run("Third?", after=second)
    sent = model.requests[-1].messages
    assert [m.content for m in sent if m.role == "user"] == ["Second?", "Third?"]
    assert sent[2] == Message("assistant", '{"nights": 3}')
    assert third.turns == (1, 3)
