"""``Agent(output_type=T)``: the answer's schema reaches the backend, the answer is validated
and returned as a ``T``, an invalid one goes back to the model, a type without a schema fails."""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, field_validator
from typing_extensions import TypedDict

from autan import Agent, ConfigurationError, Limits, SQLiteStore, ToolRetriesExhausted
from autan.events import AnswerRejected
from autan.messages import Message, ModelRequest
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS
from autan.protocols import CONSTRAINED, NATIVE, JsonOutput
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator
from fake_chat_server import FakeChatServer, Reply, completion


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Car(BaseModel):
    make: str
    year: int
    color: Color
    owners: list[str]


@dataclasses.dataclass
class Point:
    x: float
    y: float


class Span(TypedDict):
    start: int
    end: int


CAR = '{"make": "Volvo", "year": 1998, "color": "red", "owners": ["Ann", "Bo"]}'


def test_a_pydantic_model_answer_is_validated_into_the_model() -> None:
    model = ScriptedModel([CAR])
    result = Agent(model, output_type=Car).run("Describe the car.")
    assert result.output == Car(make="Volvo", year=1998, color=Color.RED, owners=["Ann", "Bo"])
    request = model.requests[0]
    assert request.answer_schema is not None
    assert request.answer_schema["properties"]["year"] == {"title": "Year", "type": "integer"}
    system = request.messages[0].content
    assert 'color: "red"|"blue"' in system
    assert "owners: list[string]" in system


@pytest.mark.parametrize(
    ("output_type", "answer", "expected"),
    [
        (Point, '{"x": 1.5, "y": -2}', Point(1.5, -2.0)),
        (Span, '{"start": 3, "end": 9}', {"start": 3, "end": 9}),
        (Literal["yes", "no"], "no", "no"),
        (Color, "blue", Color.BLUE),
        (list[int], "[1, 2, 3]", [1, 2, 3]),
        (int, "42", 42),
        (bool, "true", True),
        (str, "42", "42"),
    ],
)
def test_every_kind_of_type_comes_back_as_itself(
    output_type: Any, answer: str, expected: Any
) -> None:
    result = Agent(ScriptedModel([answer]), output_type=output_type).run("Answer.")
    assert result.output == expected
    assert type(result.output) is type(expected)


def test_an_untyped_agent_still_answers_text() -> None:
    model = ScriptedModel(["plain words"])
    result = Agent(model).run("Say something.")
    assert result.output == "plain words"
    assert model.requests[0].answer_schema is None


class Booking(BaseModel):
    nights: int

    @field_validator("nights")
    @classmethod
    def positive(cls, nights: int) -> int:
        if nights < 1:
            raise ValueError("a booking is at least one night")
        return nights


def test_an_invalid_answer_is_shown_to_the_model_which_answers_again() -> None:
    model = ScriptedModel(['{"nights": 0}', '{"nights": 2}'])
    result = Agent(model, output_type=Booking).run("How many nights?")
    assert result.output == Booking(nights=2)
    rejected = [e for e in result.events if isinstance(e, AnswerRejected)]
    assert len(rejected) == 1
    assert "at least one night" in rejected[0].error
    retry = model.requests[1].messages
    assert retry[-2] == Message("assistant", '{"nights": 0}')
    assert retry[-1].role == "user"
    assert retry[-1].content.startswith("Invalid answer: nights: Value error, a booking")


def test_answers_failing_validation_tool_retries_times_end_the_run() -> None:
    model = ScriptedModel(['{"nights": 0}'] * 3)
    agent = Agent(model, output_type=Booking, limits=Limits(tool_retries=1))
    with pytest.raises(ToolRetriesExhausted, match="failed validation as Booking 2 times"):
        agent.run("How many nights?")
    assert len(model.requests) == 2


class Opaque:
    pass


@pytest.mark.parametrize("bad", [Opaque, len, 5])
def test_an_output_type_without_a_json_schema_is_refused_at_once(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="output_type"):
        Agent(ScriptedModel([]), output_type=bad)


def test_a_typed_answer_survives_the_journal(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    agent = Agent(ScriptedModel([CAR]), store=store, output_type=Car)
    run_id = agent.run("Describe the car.").run_id
    assert run_id is not None
    again = Agent(ScriptedModel([]), store=store, output_type=Car).resume(run_id)
    assert isinstance(again.output, Car)
    assert again.output.year == 1998
    assert store.info(run_id).config["output_schema"]["title"] == "Car"


def _answer_branch(allowed: object) -> dict[str, Any]:
    assert isinstance(allowed, JsonOutput)
    schema = allowed.schema
    options = schema.get("anyOf", [schema])
    return next(o for o in options if "result" in o.get("properties", {}))


def test_the_constrained_answer_branch_is_the_answer_schema_with_its_definitions() -> None:
    schema = Car.model_json_schema()
    allowed = CONSTRAINED.constraint((calculator.spec,), "auto", schema)
    assert isinstance(allowed, JsonOutput)
    assert allowed.schema["$defs"]["Color"]["enum"] == ["red", "blue"]
    branch = _answer_branch(allowed)
    assert branch["properties"]["result"]["properties"]["color"] == {"$ref": "#/$defs/Color"}
    alone = CONSTRAINED.constraint((), "auto", schema)
    assert _answer_branch(alone)["required"] == ["result"]
    after_repeat = CONSTRAINED.constraint((calculator.spec,), "none", schema)
    assert _answer_branch(after_repeat)["properties"]["result"]["title"] == "Car"


def test_a_constrained_typed_answer_parses_to_its_json() -> None:
    text, calls = CONSTRAINED.parse('{"result": {"make": "Saab", "n": "é"}}', 1)
    assert calls == ()
    assert json.loads(text) == {"make": "Saab", "n": "é"}


def test_native_backends_send_the_answer_schema_as_response_format() -> None:
    assert NATIVE.constraint((), "auto", Car.model_json_schema()) == JsonOutput(
        Car.model_json_schema()
    )
    assert NATIVE.constraint((), "required", {"type": "integer"}) is None
    with FakeChatServer([Reply(body=completion(CAR))]) as server:
        model = OpenAIChatModel(PROVIDERS["openai"], "m", server.url, None)
        result = Agent(model, output_type=Car).run("Describe the car.")
    assert result.output is not None
    assert result.output.make == "Volvo"
    sent = server.requests[0].body["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["schema"]["title"] == "Car"


def test_the_embedded_grammar_holds_the_answer_schema() -> None:
    pytest.importorskip("llama_cpp")
    from autan.models._llama_grammar import grammar

    allowed = CONSTRAINED.constraint((calculator.spec,), "auto", Car.model_json_schema())
    assert grammar(allowed) is not None


def test_a_pattern_the_grammar_cannot_express_is_dropped_and_still_validated() -> None:
    """llama.cpp's converter cannot compile a lookahead: the grammar drops the pattern (the
    stated fallback) and pydantic still checks the answer."""
    pytest.importorskip("llama_cpp")
    from pydantic import ConfigDict, Field

    from autan.models._llama_grammar import grammar

    class Tag(BaseModel):
        model_config = ConfigDict(regex_engine="python-re")
        tag: str = Field(pattern=r"^(?!draft)[a-z]+$")

    allowed = CONSTRAINED.constraint((), "auto", Tag.model_json_schema())
    assert grammar(allowed) is not None
    model = ScriptedModel(['{"tag": "draft"}', '{"tag": "final"}'])
    result = Agent(model, output_type=Tag).run("Tag it.")
    assert result.output == Tag(tag="final")
    assert any(isinstance(e, AnswerRejected) for e in result.events)


def test_request_default_has_no_answer_schema() -> None:
    assert ModelRequest(()).answer_schema is None
