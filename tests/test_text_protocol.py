"""Tool-call parsers for the tagged formats open models emit.

Examples are written from each model family's public documentation of its tool-call format
(Hermes/Qwen2.5 function calling, Mistral's tokenizer docs, Meta's Llama 3.1 prompt format,
DeepSeek-V3's chat template), not copied from any project.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autan.messages import ToolCall
from autan.protocols.json_repair import UnparsableJSON, loads_lenient
from autan.protocols.text import MAX_CALLS, parse

WEATHER = {"city": "Paris", "unit": "celsius"}


def only_call(text: str) -> ToolCall:
    parsed = parse(text)
    assert parsed.problems == ()
    assert len(parsed.calls) == 1
    return parsed.calls[0]


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>',
        '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}]',
        '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris", "unit": "celsius"}',
        '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}',
        '{"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}',
        '```json\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n```',
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n"
        '{"city": "Paris", "unit": "celsius"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        '{"type": "function", "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\", \\"unit\\": \\"celsius\\"}"}}',
    ],
    ids=[
        "hermes",
        "mistral-list",
        "mistral-args",
        "llama-python-tag",
        "llama-json",
        "fenced",
        "deepseek",
        "openai-shape",
    ],
)
def test_each_family_format(text: str) -> None:
    call = only_call(text)
    assert (call.name, call.arguments) == ("get_weather", WEATHER)


def test_several_calls_keep_their_order() -> None:
    text = (
        '<tool_call>{"name": "a", "arguments": {"n": 1}}</tool_call>\n'
        '<tool_call>{"name": "b", "arguments": {"n": 2}}</tool_call>'
    )
    assert [(c.name, c.arguments["n"]) for c in parse(text).calls] == [("a", 1), ("b", 2)]
    llama = '<|python_tag|>{"name": "a", "parameters": {}}; {"name": "b", "parameters": {}}'
    assert [c.name for c in parse(llama).calls] == ["a", "b"]


def test_prose_and_reasoning_around_calls() -> None:
    text = (
        '<think>I could call {"name": "wrong", "arguments": {}} but no.</think>'
        'Let me check. <tool_call>{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}</tool_call>'
    )
    parsed = parse(text)
    assert [c.name for c in parsed.calls] == ["get_weather"]
    assert parsed.text == "Let me check."


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ('{"city": "Paris",}', {"city": "Paris"}),
        ("{'city': 'Paris'}", {"city": "Paris"}),
        ('{city: "Paris"}', {"city": "Paris"}),
        ('{"city": "Paris", "days": [1, 2', {"city": "Paris", "days": [1, 2]}),
        ('{"city": "Par', {"city": "Par"}),
    ],
    ids=[
        "trailing-comma",
        "single-quotes",
        "unquoted-key",
        "truncated-brackets",
        "truncated-string",
    ],
)
def test_deterministic_repair(broken: str, expected: dict[str, object]) -> None:
    call = only_call(f'<tool_call>{{"name": "get_weather", "arguments": {broken}}}</tool_call>')
    assert call.arguments == expected
    assert loads_lenient(broken) == expected


def test_plain_answer_has_no_calls() -> None:
    assert parse("The weather in Paris is sunny.").text == "The weather in Paris is sunny."
    assert parse("The weather in Paris is sunny.").calls == ()


@pytest.mark.parametrize(
    "text",
    [
        "<tool_call>not json</tool_call>",
        '<tool_call>{"arguments": {}}</tool_call>',
        '<tool_call>{"name": "f", "arguments": [1, 2]}</tool_call>',
        "[TOOL_CALLS]",
    ],
)
def test_bad_calls_are_problems_not_calls(text: str) -> None:
    parsed = parse(text)
    assert parsed.calls == ()
    assert parsed.problems


def test_no_eval_ever() -> None:
    text = '<tool_call>{"name": "f", "arguments": __import__("os").system("touch /tmp/pwned")}</tool_call>'
    parsed = parse(text)
    assert all(isinstance(c.arguments, dict) for c in parsed.calls)


def test_huge_inputs_are_handled() -> None:
    big = "x" * 10_000_000
    call = only_call(f'<tool_call>{{"name": "echo", "arguments": {{"text": "{big}"}}}}</tool_call>')
    assert len(call.arguments["text"]) == 10_000_000
    truncated = parse(f'<tool_call>{{"name": "echo", "arguments": {{"text": "{big}')
    assert truncated.calls == ()
    assert truncated.problems
    with pytest.raises(UnparsableJSON):
        loads_lenient("[" * 100_000)


def test_deep_nesting_does_not_crash() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    parsed = parse(f'<tool_call>{{"name": "f", "arguments": {{"x": {deep}}}}}</tool_call>')
    assert parsed.calls == ()
    assert parsed.problems


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_random_text_never_raises(text: str) -> None:
    parsed = parse(text)
    assert all(isinstance(c.arguments, dict) and c.name for c in parsed.calls)


@settings(max_examples=200)
@given(st.binary())
def test_random_bytes_never_raise(data: bytes) -> None:
    parse(data.decode("utf-8", errors="replace"))


@settings(max_examples=200)
@given(st.dictionaries(st.text(min_size=1), json_values, max_size=5), st.text(min_size=1))
def test_valid_calls_round_trip_in_every_format(arguments: dict[str, object], name: str) -> None:
    name = "f_" + "".join(ch for ch in name if ch.isalnum())
    encoded = json.dumps({"name": name, "arguments": arguments})
    for text in (
        f"<tool_call>{encoded}</tool_call>",
        f"[TOOL_CALLS][{encoded}]",
        f"```json\n{encoded}\n```",
    ):
        call = only_call(text)
        assert (call.name, call.arguments) == (name, arguments)


@settings(max_examples=200)
@given(
    st.dictionaries(st.text(min_size=1), json_values, min_size=1, max_size=5),
    st.integers(min_value=1),
)
def test_truncated_calls_never_raise(arguments: dict[str, object], cut: int) -> None:
    encoded = json.dumps({"name": "f", "arguments": arguments})
    parsed = parse("<tool_call>" + encoded[: cut % len(encoded)])
    assert all(isinstance(c.arguments, dict) for c in parsed.calls)


def test_a_reply_with_too_many_calls_keeps_the_first_and_reports_the_rest() -> None:
    block = '<tool_call>{"name": "f", "arguments": {}}</tool_call>'
    for text in (block * (MAX_CALLS + 5), "[TOOL_CALLS][" + ",".join([block[11:-12]] * 100) + "]"):
        parsed = parse(text)
        assert len(parsed.calls) == MAX_CALLS
        assert any("more than" in problem for problem in parsed.problems)
