"""A typed answer's schema bounded for the grammar from the step's token budget (issue 17): every
free string and array gets a bound, the longest reply the bounded grammar admits fits the budget,
the user's own bounds are never loosened, the grammar is built from the bounded schema, and a
reply cut at the token limit is rejected with a message that says so. No model."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, Field

from autan import Agent, Limits, ToolRetriesExhausted
from autan.events import AnswerRejected
from autan.messages import ModelRequest, ModelResponse, Usage
from autan.models._llama_grammar import LLAMA_CHAR_RULE, PLAIN_CHAR_RULE, grammar_source
from autan.models.base import Model
from autan.models.llama import _fitted
from autan.protocols import CONSTRAINED
from autan.protocols.answer_bounds import PLAIN_CHARS, fitted, longest, reply_longest
from autan.protocols.constrained import answer_schema


class Role(enum.Enum):
    ENGINEER = "engineer"
    TEACHER = "teacher"


class Person(BaseModel):
    name: str
    age: int
    city: str
    role: Role
    languages: list[str]


class Address(BaseModel):
    street: str
    born: date
    tags: list[str] = Field(max_length=3)


class Family(BaseModel):
    surname: str = Field(max_length=5)
    members: list[Person]
    home: Address | None = None
    scores: list[float]
    pair: tuple[int, str]


SCHEMAS = [Person, Address, Family]


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _strings_and_arrays(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _strings_and_arrays(item)
    elif isinstance(node, dict):
        if node.get("type") in ("string", "array"):
            yield node
        for value in node.values():
            yield from _strings_and_arrays(value)


@pytest.mark.parametrize("model", SCHEMAS)
@pytest.mark.parametrize("budget", [512, 1024, 2048])
def test_the_longest_reply_of_the_bounded_grammar_fits_the_budget(
    model: type[BaseModel], budget: int
) -> None:
    schema = _schema(model)
    assert reply_longest(schema) is None  # unbounded as the user wrote it
    bounded = fitted(schema, budget)
    size = reply_longest(bounded)
    assert size is not None
    assert size <= budget
    assert bounded[PLAIN_CHARS] is True


def test_the_embedded_steps_budget_fits_a_person_but_not_a_family() -> None:
    """256 tokens, a step's default: a ``Person`` fits, a ``Family`` (a list of them and more)
    cannot fit at all, and its schema is left as it is."""
    assert (reply_longest(fitted(_schema(Person), 256)) or 0) in range(200, 257)
    assert fitted(_schema(Family), 256) == _schema(Family)


def test_every_free_string_and_array_gets_a_bound_and_fixed_ones_are_left() -> None:
    bounded = fitted(_schema(Family), 2048)
    for node in _strings_and_arrays(bounded):
        if node.get("type") == "string" and "format" not in node and "enum" not in node:
            assert "maxLength" in node, node
        if node.get("type") == "array" and "items" in node:
            assert "maxItems" in node, node
    assert bounded["$defs"]["Role"] == _schema(Family)["$defs"]["Role"]
    assert "maxLength" not in bounded["$defs"]["Address"]["properties"]["born"]


def test_the_budget_is_split_across_the_free_fields_and_grows_with_it() -> None:
    small, large = fitted(_schema(Person), 256), fitted(_schema(Person), 1024)
    name_small = small["properties"]["name"]["maxLength"]
    name_large = large["properties"]["name"]["maxLength"]
    assert name_small == small["properties"]["city"]["maxLength"]
    assert name_small == small["properties"]["languages"]["items"]["maxLength"]
    assert 0 < name_small < name_large
    assert (
        small["properties"]["languages"]["maxItems"] <= large["properties"]["languages"]["maxItems"]
    )
    for budget in (256, 1024):  # the largest bound that fits: one more character does not
        bounded = fitted(_schema(Person), budget)
        longer = json.loads(
            json.dumps(bounded).replace(
                f'"maxLength": {bounded["properties"]["name"]["maxLength"]}',
                f'"maxLength": {bounded["properties"]["name"]["maxLength"] + 1}',
            )
        )
        assert (reply_longest(longer) or 0) > budget


@pytest.mark.parametrize("budget", [64, 256, 4096])
def test_the_users_own_bounds_are_never_loosened(budget: int) -> None:
    schema = _schema(Family)
    bounded = fitted(schema, budget)
    assert bounded["properties"]["surname"].get("maxLength", 5) == 5
    tags = bounded["$defs"]["Address"]["properties"]["tags"]
    assert tags.get("maxItems", 3) == 3


def test_a_schema_with_nothing_unbounded_or_that_cannot_fit_is_left_as_it_is() -> None:
    closed = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert fitted(closed, 256) == closed
    person = _schema(Person)
    assert fitted(person, 40) == person  # its keys alone are longer than 40 characters
    tree = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
        "$ref": "#/$defs/Node",
    }
    assert fitted(tree, 256) == tree  # recursive: no bound makes it finite


def test_longest_counts_the_grammars_longest_text() -> None:
    """A witness: the longest text llama.cpp's grammar admits for a string of 3 and an integer
    (a space at each optional place, escapes for characters, 16 digits and a sign)."""
    schema = {
        "type": "object",
        "properties": {"s": {"type": "string", "maxLength": 3}, "n": {"type": "integer"}},
    }
    inner = '{ "s" : "\\"\\"\\"" , "n" : -1234567890123456 } '
    witness = '{ "result" : ' + inner + "} "
    assert json.loads(witness) == {"result": {"s": '"""', "n": -1234567890123456}}
    assert longest(schema) == len(inner)
    assert longest(answer_schema(schema)) == len(witness)


def test_the_grammar_is_built_from_the_bounded_schema_without_unicode_escapes() -> None:
    request = ModelRequest((), max_tokens=256, answer_schema=_schema(Person))
    bounded = _fitted(request).answer_schema
    assert bounded is not None
    length = bounded["properties"]["name"]["maxLength"]
    source = grammar_source(CONSTRAINED.constraint((), "auto", bounded)) or ""
    assert PLAIN_CHAR_RULE in source
    assert LLAMA_CHAR_RULE not in source
    assert "char*" not in source  # no unbounded string left
    assert source.count("char") > length
    plain = grammar_source(CONSTRAINED.constraint((), "auto", _schema(Person))) or ""
    assert LLAMA_CHAR_RULE in plain
    assert "char*" in plain
    assert _fitted(ModelRequest(())) == ModelRequest(())


class CutModel(Model):
    """Every reply stopped at the token limit: the start of an answer that never closed."""

    name = "cut"

    def __init__(self) -> None:
        self.requests: list[ModelRequest] = []

    def complete(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        text = '{"name": "Maria", "languages": ["English", "English", "English'
        usage = Usage(prompt_tokens=50, completion_tokens=request.max_tokens)
        return ModelResponse(text, usage=usage, model=self.name, finish_reason="length")

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        yield self.complete(request)


def test_a_reply_cut_at_the_token_limit_is_rejected_as_cut_off() -> None:
    model = CutModel()
    agent = Agent(model, output_type=Person, limits=Limits(tool_retries=1))
    with pytest.raises(ToolRetriesExhausted) as raised:
        agent.run("Extract the person.")
    told = "your answer was cut off at 256 tokens; be shorter"
    retry = model.requests[1].messages[-1]
    assert retry.content == f"Invalid answer: {told}. Answer again."
    rejected = [e for e in raised.value.result.events if isinstance(e, AnswerRejected)]
    assert [e.error for e in rejected] == [told, told]
    assert "valid dictionary" not in str(raised.value)
