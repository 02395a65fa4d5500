"""The constrained protocol: prompt rendering, output schema and parsing (no model needed)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autan.messages import INVALID_CALL, Message, ToolCall
from autan.protocols import constrained
from autan.protocols.constrained import CUT_CALL
from autan.tools.builtin import builtin_tools

TOOLS = tuple(t.spec for t in builtin_tools("."))
CALC = {"tool": "calculator", "arguments": {"expression": "37 * 91"}}


def test_system_block_lists_tools_as_signatures_in_order() -> None:
    block = constrained.system_block("Be brief.", TOOLS)
    lines = block.splitlines()
    assert lines[0] == "Be brief."
    assert lines[2].startswith("- calculator(expression: string)")
    assert lines[3].startswith('- list_dir(path: string = ".")')
    assert lines[-1] == constrained.REPLY_FORMAT


def test_rendering_is_append_only() -> None:
    call = ToolCall("call_1_0", "calculator", {"expression": "2+2"})
    early = (Message("system", "S"), Message("user", "task"))
    late = (
        *early,
        Message("assistant", "", (call,)),
        Message("tool", "4", None, "call_1_0", "calculator"),
    )
    first = constrained.render_messages(early, TOOLS)
    second = constrained.render_messages(late, TOOLS)
    assert second[: len(first)] == first
    assert json.loads(second[2]["content"]) == {
        "tool": "calculator",
        "arguments": {"expression": "2+2"},
    }
    assert second[3] == {"role": "user", "content": "Result: 4"}


@pytest.mark.parametrize(
    ("output", "valid_auto", "valid_none"),
    [
        ({"result": "3367"}, True, True),
        ({"result": ""}, False, False),
        ({"tool": "calculator", "arguments": {"expression": "37 * 91"}}, True, False),
        ({"tool": "calculator", "arguments": {"expression": "rm -rf"}}, False, False),
        ({"tool": "calculator", "arguments": {}}, False, False),
        ({"tool": "nope", "arguments": {}}, False, False),
        ({"tool": "read_file", "arguments": {"path": "a.txt"}}, True, False),
        ({"tool": "read_file", "arguments": {"path": "a", "extra": 1}}, False, False),
        ([CALC], False, False),
    ],
)
def test_output_schema_allows_only_valid_calls_or_an_answer(
    output: object, valid_auto: bool, valid_none: bool
) -> None:
    for choice, expected in (("auto", valid_auto), ("none", valid_none)):
        schema = constrained.output_schema(TOOLS, choice)  # type: ignore[arg-type]
        assert jsonschema.Draft202012Validator(schema).is_valid(output) is expected


def test_parse_call_and_answer() -> None:
    text, calls = constrained.parse_output(
        '{"tool": "calculator", "arguments": {"expression": "1+1"}}', 3
    )
    assert text == ""
    assert calls == (ToolCall("call_3_0", "calculator", {"expression": "1+1"}),)
    assert constrained.parse_output('{"result": "42"}', 1) == ("42", ())


def test_parse_truncated_answer_is_salvaged() -> None:
    assert constrained.parse_output('{"result": "the result is 33', 1) == ("the result is 33", ())


def test_each_line_of_several_calls_satisfies_the_call_schema() -> None:
    schema = constrained.call_schema(TOOLS)
    assert schema is not None
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(CALC)
    assert not validator.is_valid({"result": "3367"})
    assert not validator.is_valid({"tool": "calculator", "arguments": {"expression": "rm -rf"}})
    assert constrained.call_schema(()) is None


def test_parse_several_calls_in_order() -> None:
    lines = f"{json.dumps(CALC)}\n{json.dumps({'tool': 'list_dir', 'arguments': {}})}"
    text, calls = constrained.parse_output(lines, 2)
    assert text == ""
    assert [(c.id, c.name) for c in calls] == [("call_2_0", "calculator"), ("call_2_1", "list_dir")]


def test_several_calls_render_as_the_list_the_model_wrote() -> None:
    calls = (ToolCall("a", "calculator", {"expression": "1"}), ToolCall("b", "list_dir", {}))
    transcript = (
        Message("system", "S"),
        Message("user", "task"),
        Message("assistant", "", calls),
        Message("tool", "1", None, "a", "calculator"),
        Message("tool", "x.txt", None, "b", "list_dir"),
    )
    rendered = constrained.render_messages(transcript, TOOLS)
    assert [m["role"] for m in rendered] == ["system", "user", "assistant", "user", "user"]
    written = constrained.render_calls(calls)
    assert rendered[2]["content"] == written
    assert constrained.parse_output(written, 1)[1] == (
        ToolCall("call_1_0", "calculator", {"expression": "1"}),
        ToolCall("call_1_1", "list_dir", {}),
    )
    assert [m["content"] for m in rendered[3:]] == ["Result: 1", "Result: x.txt"]


@settings(max_examples=300)
@given(st.text())
def test_any_output_parses_to_text_or_calls_with_dict_arguments(text: str) -> None:
    answer, calls = constrained.parse_output(text, 1)
    assert isinstance(answer, str)
    assert all(isinstance(c.arguments, dict) and isinstance(c.name, str) for c in calls)


@settings(max_examples=200)
@given(st.lists(st.dictionaries(st.text(), st.integers() | st.text()), max_size=4), st.integers(0))
def test_truncated_or_odd_json_never_raises(arguments: list[dict[str, object]], cut: int) -> None:
    encoded = "\n".join(json.dumps({"tool": "f", "arguments": a}) for a in arguments)
    _, calls = constrained.parse_output(encoded[: cut % (len(encoded) + 1)], 1)
    assert all(isinstance(c.arguments, dict) for c in calls)
    constrained.parse_output(json.dumps([{"tool": 1}, "x", None]), 1)


def test_a_cut_off_second_call_keeps_the_first() -> None:
    _, calls = constrained.parse_output(json.dumps(CALC) + '\n{"tool": "list_d', 1)
    assert [c.name for c in calls] == ["calculator"]


def test_huge_and_deep_outputs_are_handled() -> None:
    big = "y" * 10_000_000
    _, calls = constrained.parse_output(json.dumps({"tool": "echo", "arguments": {"t": big}}), 1)
    assert len(calls[0].arguments["t"]) == 10_000_000
    _, calls = constrained.parse_output("[" * 100_000, 1)
    assert calls == ()
    _, calls = constrained.parse_output('{"tool": "f", "arguments": ' + "[" * 100_000, 1)
    assert [(c.name, c.arguments) for c in calls] == [(INVALID_CALL, {"problem": CUT_CALL})]


def test_a_call_cut_off_at_the_token_limit_is_an_invalid_call_not_an_answer() -> None:
    cut = '{ "tool": "list_dir", "arguments": { "path": "list_dir_tokyo_2023_2023_2023'
    text, calls = constrained.parse_output(cut, 1)
    assert text == ""
    assert [(c.name, c.arguments) for c in calls] == [(INVALID_CALL, {"problem": CUT_CALL})]


def test_more_calls_than_a_step_allows_is_one_reported_problem() -> None:
    too_many = "\n".join([json.dumps(CALC)] * (constrained.MAX_CALLS_PER_STEP + 1))
    _, calls = constrained.parse_output(too_many, 1)
    assert [c.name for c in calls] == [INVALID_CALL]
    assert "more than" in str(calls[0].arguments["problem"])


def test_a_call_written_twice_in_one_reply_is_made_once() -> None:
    other = {"tool": "list_dir", "arguments": {}}
    lines = "\n".join(json.dumps(value) for value in (CALC, other, CALC))
    _, calls = constrained.parse_output(lines, 1)
    assert [c.name for c in calls] == ["calculator", "list_dir"]


A = '{"tool": "a", "arguments": {}}'
B = '{"tool": "b", "arguments": {}}'


@pytest.mark.parametrize(
    ("text", "times", "repeats"),
    [
        (A, 1, False),
        (f"{A}\n{B}", 1, False),
        (f"{A}\n{A}", 1, True),
        (f"{A}\n {A}\n", 1, True),
        (f"{A}\n{B}\n{A}", 1, True),
        (f"{A}\n{A[:20]}", 1, False),
        (f"{A}\n\n", 1, False),
        ("", 1, False),
        (f"{A}\n{A}", 2, False),
        (f"{A}\n{A}\n{B}\n{A}", 2, True),
        (f"{A}\n{A}\n{B}\n{B}", 2, False),
    ],
)
def test_a_repeated_call_line_is_seen_finished_or_not(text: str, times: int, repeats: bool) -> None:
    from autan.models.llama import repeats_a_line

    assert repeats_a_line(text, times) is repeats
