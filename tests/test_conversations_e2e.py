"""Follow-ups and typed answers on the real embedded model: turn 2 reuses every earlier token
from llama.cpp's KV cache, and a typed answer is a valid instance."""

from __future__ import annotations

import enum

import pytest
from pydantic import BaseModel

from autan import Agent
from autan.events import AnswerRejected

pytestmark = pytest.mark.e2e


def test_turn_two_evaluates_only_its_new_tokens() -> None:
    agent = Agent("local")
    first = agent.run("My name is Ada. Say hello to me.")
    second = agent.run("What is my name?", after=first)
    earlier = first.step_usage()[-1].prompt_tokens
    now = second.step_usage()[0]
    assert now.cached_tokens >= earlier
    assert now.prompt_tokens > now.cached_tokens


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Person(BaseModel):
    name: str
    age: int
    mood: Mood
    pets: list[str]


def test_a_typed_answer_from_the_embedded_model_is_an_instance() -> None:
    agent = Agent("local", instructions="Extract the person in the text.", output_type=Person)
    result = agent.run("Tom is 31, happy, and has a dog and a cat.")
    assert isinstance(result.output, Person)
    assert not [e for e in result.events if isinstance(e, AnswerRejected)]
