"""Lexical tool relevance (issue 18): which offered tools fit a task, and the default
``relevance`` decoding that asks a step as plain chat when none does. No model."""

from __future__ import annotations

from pathlib import Path

from autan.messages import Message, ModelRequest, ToolCall, ToolSpec
from autan.models.decoding import DEFAULT_DECODE, relevant
from autan.protocols.relevance import fitting, ranked, task_words, tool_words
from autan.tools.builtin import builtin_tools

CONVERT = ToolSpec(
    "convert",
    "Convert a temperature to Fahrenheit.",
    {"type": "object", "properties": {"celsius": {"type": "number"}}},
)
WEATHER = ToolSpec(
    "getWeather",
    "",
    {"type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "Rome"]}}},
)


def _builtin(tmp_path: Path) -> list[ToolSpec]:
    return [tool.spec for tool in builtin_tools(tmp_path)]


def test_a_question_that_needs_no_tool_fits_none_of_the_builtin_tools(tmp_path: Path) -> None:
    for task in (
        "What is the capital of France?",
        "Say hello in one short sentence.",
        "Translate 'yes' into French.",
        "What is a triangle?",
    ):
        assert fitting(task, _builtin(tmp_path)) == (), task


def test_file_and_directory_tasks_fit_the_file_tools(tmp_path: Path) -> None:
    tools = _builtin(tmp_path)
    assert "read_file" in [s.name for s in fitting("What is written in motto.txt?", tools)]
    assert "list_dir" in [s.name for s in fitting("Which files are in the directory?", tools)]
    assert "list_dir" in [s.name for s in fitting("List the entries here.", tools)]
    assert "calculator" in [s.name for s in fitting("Compute 100 - 58 please.", tools)]


def test_words_come_from_names_descriptions_parameters_and_enums() -> None:
    assert {"weather", "city"} <= tool_words(WEATHER)  # "getWeather" split, "get" a stopword
    assert fitting("Is it sunny in Rome?", [WEATHER]) == (WEATHER,)  # an enum value
    assert fitting("What is 21 degrees Celsius in Fahrenheit?", [CONVERT]) == (CONVERT,)
    assert fitting("Any temperatures?", [CONVERT]) == (CONVERT,)  # a plural, by its stem
    assert "what" not in task_words("What is it?")  # no stopword fits anything


def _request(task: str, *more: Message, choice: str = "auto") -> ModelRequest:
    messages = (Message("system", "Be brief."), Message("user", task), *more)
    return ModelRequest(messages, (CONVERT,), choice)  # type: ignore[arg-type]


def test_arithmetic_said_in_words_fits_the_calculator(tmp_path: Path) -> None:
    tools = _builtin(tmp_path)
    for task in ("What is twelve plus thirty?", "Multiply 6 by 7.", "What is three squared?"):
        assert [spec.name for spec in fitting(task, tools)] == ["calculator"], task
    assert fitting("How many legs does a spider have?", tools) == ()  # numbers alone do not


def test_the_default_asks_a_step_no_tool_fits_as_plain_chat() -> None:
    assert "relevance" in DEFAULT_DECODE
    asked = relevant(_request("What is the capital of France?"), DEFAULT_DECODE)
    assert asked.tools == ()
    assert asked.messages == _request("What is the capital of France?").messages


def test_the_tools_stay_where_they_fit_are_required_or_were_called() -> None:
    fits = _request("What is 21 degrees Celsius in Fahrenheit?")
    assert relevant(fits, DEFAULT_DECODE) is fits
    required = _request("What is the capital of France?", choice="required")
    assert relevant(required, DEFAULT_DECODE) is required
    call = ToolCall("call_1_0", "convert", {"celsius": 1})
    called = _request(
        "What is the capital of France?",
        Message("assistant", "", (call,)),
        Message("tool", "33.8", tool_call_id="call_1_0", name="convert"),
    )
    assert relevant(called, DEFAULT_DECODE) is called  # the transcript shows a call: keep them
    assert relevant(_request("What is the capital of France?"), ("another-call",)).tools


def test_tools_ranked_by_the_words_they_share_with_the_task() -> None:
    circle = ToolSpec("circle_area", "Area of a circle from its radius.", {"type": "object"})
    triangle = ToolSpec(
        "triangle_area", "Area of a triangle from its three sides.", {"type": "object"}
    )
    assert ranked("Area of a triangle with sides 3, 4 and 5?", [circle, triangle]) == [
        triangle,
        circle,
    ]
    assert ranked("Something else entirely", [circle, triangle]) == [circle, triangle]  # ties
