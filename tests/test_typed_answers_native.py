"""Typed answers on native backends (OpenAI-compatible servers, on loopback): the schema's root is
an object (wrapped and unwrapped for other types), and servers without ``response_format`` get
the answer as a final tool whose parameters are the output type's schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from pydantic import BaseModel, field_validator

from autan import Agent
from autan.events import AnswerRejected
from autan.messages import Message
from autan.models.openai import OpenAIChatModel
from autan.models.providers import PROVIDERS
from autan.tools.calculator import calculator
from fake_chat_server import FakeChatServer, Reply, completion, function_call


class Car(BaseModel):
    make: str
    year: int


class Boat(BaseModel):
    name: str
    length_m: float


class Booking(BaseModel):
    nights: int

    @field_validator("nights")
    @classmethod
    def positive(cls, nights: int) -> int:
        if nights < 1:
            raise ValueError("a booking is at least one night")
        return nights


def _model(url: str, answer_tool: bool | None = None, provider: str = "openai") -> OpenAIChatModel:
    return OpenAIChatModel(PROVIDERS[provider], "m", url, "k", "native", answer_tool=answer_tool)


def _schema_sent(body: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = body["response_format"]["json_schema"]["schema"]
    return schema


@pytest.mark.parametrize(
    ("output_type", "reply", "expected"),
    [
        (list[int], '{"result": [1, 2, 3]}', [1, 2, 3]),
        (Literal["yes", "no"], '{"result": "no"}', "no"),
        (int, '{"result": 42}', 42),
        (
            Car | Boat,
            '{"result": {"name": "Vega", "length_m": 9.5}}',
            Boat(name="Vega", length_m=9.5),
        ),
    ],
)
def test_a_non_object_output_type_is_sent_wrapped_in_an_object_and_unwrapped(
    output_type: Any, reply: str, expected: Any
) -> None:
    with FakeChatServer([Reply(body=completion(reply))]) as server:
        result = Agent(_model(server.url), output_type=output_type).run("Answer.")
    assert result.output == expected
    schema = _schema_sent(server.requests[0].body)
    assert schema["type"] == "object"
    assert schema["required"] == ["result"]
    assert "$ref" not in json.dumps(schema["properties"]) or "$defs" in schema


def test_an_object_output_type_is_sent_as_it_is() -> None:
    with FakeChatServer([Reply(body=completion('{"make": "Saab", "year": 1990}'))]) as server:
        result = Agent(_model(server.url), output_type=Car).run("Describe the car.")
    assert result.output == Car(make="Saab", year=1990)
    assert _schema_sent(server.requests[0].body)["title"] == "Car"


def test_a_server_without_response_format_gets_the_answer_as_a_final_tool() -> None:
    answer = function_call("c1", "final_answer", {"result": [4, 5]})
    with FakeChatServer([Reply(body=completion(tool_calls=[answer]))]) as server:
        result = Agent(_model(server.url, answer_tool=True), output_type=list[int]).run("Two.")
    assert result.output == [4, 5]
    assert result.tool_calls == 0
    body = server.requests[0].body
    assert "response_format" not in body
    (final,) = body["tools"]
    assert final["function"]["name"] == "final_answer"
    parameters = final["function"]["parameters"]
    assert parameters["properties"]["result"] == {"items": {"type": "integer"}, "type": "array"}
    assert body["tool_choice"] == {"type": "function", "function": {"name": "final_answer"}}


def test_with_tools_the_answer_tool_is_offered_beside_them_and_a_call_is_required() -> None:
    replies = [
        Reply(
            body=completion(tool_calls=[function_call("c1", "calculator", {"expression": "6*7"})])
        ),
        Reply(
            body=completion(
                tool_calls=[function_call("c2", "final_answer", {"make": "Kia", "year": 42})]
            )
        ),
    ]
    with FakeChatServer(replies) as server:
        agent = Agent(_model(server.url, answer_tool=True), tools=[calculator], output_type=Car)
        result = agent.run("A car from the year 6*7.")
    assert result.output == Car(make="Kia", year=42)
    assert result.tool_calls == 1
    first = server.requests[0].body
    assert [t["function"]["name"] for t in first["tools"]] == ["calculator", "final_answer"]
    assert first["tools"][1]["function"]["parameters"]["title"] == "Car"
    assert first["tool_choice"] == "required"
    assert server.requests[1].body["messages"][-1]["role"] == "tool"


def test_a_final_answer_that_fails_validation_goes_back_to_the_model() -> None:
    replies = [
        Reply(body=completion(tool_calls=[function_call("c1", "final_answer", {"nights": 0})])),
        Reply(body=completion(tool_calls=[function_call("c2", "final_answer", {"nights": 3})])),
    ]
    with FakeChatServer(replies) as server:
        result = Agent(_model(server.url, answer_tool=True), output_type=Booking).run("Nights?")
    assert result.output == Booking(nights=3)
    assert [e.error for e in result.events if isinstance(e, AnswerRejected)] == [
        "nights: Value error, a booking is at least one night"
    ]
    retry = server.requests[1].body["messages"]
    assert retry[-2] == {"role": "assistant", "content": '{"nights": 0}'}
    assert retry[-1]["content"].startswith("Invalid answer: nights: Value error")


def test_a_server_that_refuses_response_format_is_switched_to_the_answer_tool_for_good() -> None:
    refusal = {"error": {"message": "response_format is not supported by this model"}}
    replies = [
        Reply(400, refusal),
        Reply(body=completion(tool_calls=[function_call("c1", "final_answer", {"result": 7})])),
        Reply(body=completion(tool_calls=[function_call("c2", "final_answer", {"result": 8})])),
    ]
    with FakeChatServer(replies) as server:
        agent = Agent(_model(server.url), output_type=int)
        assert agent.run("Seven.").output == 7
        assert agent.run("Eight.").output == 8
    sent = [r.body for r in server.requests]
    assert "response_format" in sent[0]
    assert all("response_format" not in body and body["tools"] for body in sent[1:])


def test_deepseek_takes_typed_answers_as_the_answer_tool() -> None:
    answer = function_call("c1", "final_answer", {"make": "BYD", "year": 2020})
    with FakeChatServer([Reply(body=completion(tool_calls=[answer]))]) as server:
        model = _model(server.url, provider="deepseek")
        assert Agent(model, output_type=Car).run("A car.").output == Car(make="BYD", year=2020)
    assert "response_format" not in server.requests[0].body


def test_a_tool_of_the_agent_named_final_answer_keeps_its_name() -> None:
    from autan import tool

    @tool
    def final_answer(text: str) -> str:
        """The user's own tool of that name."""
        return text

    answer = function_call("c1", "final_answer_", {"result": 1})
    with FakeChatServer([Reply(body=completion(tool_calls=[answer]))]) as server:
        model = _model(server.url, answer_tool=True)
        result = Agent(model, tools=[final_answer], output_type=int).run("One.")
    assert result.output == 1
    names = [t["function"]["name"] for t in server.requests[0].body["tools"]]
    assert names == ["final_answer", "final_answer_"]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps({"id": "s", "model": "fake", "choices": [choice]})


def _result_of(stream: Iterator[Any]) -> Any:
    while True:
        try:
            next(stream)
        except StopIteration as end:
            return end.value


def test_a_streamed_final_answer_call_is_the_answer() -> None:
    pieces = ['{"resu', 'lt": ["a", "b"]}']
    deltas = [
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "c1",
                    "function": {"name": "final_answer", "arguments": pieces[0]},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": pieces[1]}}]},
    ]
    sse = [_chunk({"role": "assistant"}), *map(_chunk, deltas), _chunk({}, "tool_calls"), "[DONE]"]
    with FakeChatServer([Reply(sse=sse)]) as server:
        agent = Agent(_model(server.url, answer_tool=True), output_type=list[str])
        result = _result_of(agent.stream("Two letters."))
    assert result.output == ["a", "b"]
    assert server.requests[0].body["stream"] is True


def test_the_answer_is_kept_in_the_transcript_as_the_assistant_s_text() -> None:
    answer = function_call("c1", "final_answer", {"result": "yes"})
    with FakeChatServer([Reply(body=completion(tool_calls=[answer]))]) as server:
        model = _model(server.url, answer_tool=True)
        result = Agent(model, output_type=Literal["yes", "no"]).run("Yes?")
    assert result.messages[-1] == Message("assistant", "yes")
