"""The constrained protocol: prompt rendering, output schema and parsing (no model needed)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from autan.messages import Message, ToolCall
from autan.protocols import constrained
from autan.tools.builtin import builtin_tools

TOOLS = tuple(t.spec for t in builtin_tools("."))


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
    ],
)
def test_output_schema_allows_only_valid_calls_or_an_answer(
    output: dict[str, object], valid_auto: bool, valid_none: bool
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
