"""On the embedded SmolLM2-135M, a typed answer that ran on to the step's token limit without
the answer bounds (issue 17: it repeats inside the languages list until cut at 256 tokens, so
the answer never validates) ends within its bounds and validates on the first reply."""

from __future__ import annotations

import enum

import pytest
from pydantic import BaseModel

import autan.models.llama as llama
from autan import Agent, Limits, RunError
from autan.events import AnswerRejected, ModelResponded
from autan.models import load_model

TEXT = "Maria is a 34-year-old teacher from Lisbon who speaks Portuguese and English."


class Role(enum.Enum):
    ENGINEER = "engineer"
    TEACHER = "teacher"
    DOCTOR = "doctor"
    CHEF = "chef"
    ARTIST = "artist"


class Person(BaseModel):
    name: str
    age: int
    city: str
    role: Role
    languages: list[str]


def _agent() -> Agent[Person]:
    model = load_model("local")
    instructions = "Extract the person described in the text."
    return Agent(
        model, instructions=instructions, output_type=Person, limits=Limits(tool_retries=0)
    )


@pytest.mark.e2e
def test_a_typed_answer_that_ran_to_the_token_limit_now_ends_and_validates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = _agent()
    with monkeypatch.context() as unbounded:
        unbounded.setattr(llama, "fitted", lambda schema, budget: schema)
        with pytest.raises(RunError) as raised:
            agent.run(TEXT)
    replies = [e for e in raised.value.result.events if isinstance(e, ModelResponded)]
    assert [e.finish_reason for e in replies] == ["length"]
    rejected = [e for e in raised.value.result.events if isinstance(e, AnswerRejected)]
    assert rejected[0].error.startswith("your answer was cut off at ")
    assert rejected[0].error.endswith(" tokens; be shorter")

    result = agent.run(TEXT)
    assert isinstance(result.output, Person)
    assert result.model_calls == 1
    assert not [e for e in result.events if isinstance(e, AnswerRejected)]
    assert result.output.name == "Maria"
    assert len(result.output.languages) <= 3
