"""The peer benchmark's tool server: prompt rendering and reply parsing (no model needed)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

PEERS = Path(__file__).resolve().parent.parent / "benchmarks" / "peers"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(PEERS))
    try:
        spec = importlib.util.spec_from_file_location(name, PEERS / f"{name}.py")
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(PEERS))


chatml = _load("chatml_tools")
server = _load("tool_server")

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
ADD = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}


def test_tools_go_in_the_system_turn_before_the_clients_instructions() -> None:
    functions = chatml.offered_tools([WEATHER], "auto")
    prompt = chatml.render_prompt(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Paris?"}],
        functions,
    )
    system = prompt.split("<|im_end|>")[0]
    assert system.startswith("<|im_start|>system\nYou are an expert in composing functions.")
    tools = json.loads(system.split("<tools>")[1].split("</tools>")[0])
    assert tools == [WEATHER["function"]]
    assert system.endswith("\n\nBe brief.")
    assert prompt.endswith("<|im_start|>user\nParis?<|im_end|>\n<|im_start|>assistant\n")


def test_no_tools_and_no_system_gets_the_models_default_system_turn() -> None:
    prompt = chatml.render_prompt([{"role": "user", "content": "Hi"}], [])
    assert prompt.startswith(f"<|im_start|>system\n{chatml.DEFAULT_SYSTEM}<|im_end|>\n")
    assert "<tools>" not in prompt


def test_calls_with_null_content_and_tool_results_are_rendered() -> None:
    call = {"id": "c1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}  # fmt: skip
    messages = [
        {"role": "user", "content": "Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "sunny"}]},
    ]
    prompt = chatml.render_prompt(messages, [])
    assert (
        '<|im_start|>assistant\n<tool_call>[\n{"name": "get_weather", "arguments": '
        '{"city": "Paris"}}\n]</tool_call><|im_end|>\n' in prompt
    )
    assert "<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n" in prompt


@pytest.mark.parametrize(
    ("choice", "names"),
    [
        ("auto", ["get_weather", "add"]),
        ("required", ["get_weather", "add"]),
        ("none", []),
        ({"type": "function", "function": {"name": "add"}}, ["add"]),
    ],
)
def test_tool_choice_selects_the_offered_functions(choice: object, names: list[str]) -> None:
    assert [f["name"] for f in chatml.offered_tools([WEATHER, ADD], choice)] == names


def test_a_forced_prompt_opens_the_call_block() -> None:
    prompt = chatml.render_prompt([{"role": "user", "content": "x"}], [ADD["function"]], True)
    assert prompt.endswith("<|im_start|>assistant\n<tool_call>")


@pytest.mark.parametrize(
    ("reply", "content", "calls"),
    [
        ('<tool_call>[\n{"name": "add", "arguments": {"a": 1}}\n]</tool_call>', "",
         [{"name": "add", "arguments": {"a": 1}}]),
        ('<tool_call>{"name": "a", "arguments": {}}</tool_call>\n'
         '<tool_call>{"name": "b", "arguments": "{\\"x\\": 2}"}</tool_call>', "",
         [{"name": "a", "arguments": {}}, {"name": "b", "arguments": {"x": 2}}]),
        ('<tool_call>[{"name": "add", "arguments": {"a": 1}}, {"name": "add", "argu', "",
         [{"name": "add", "arguments": {"a": 1}}]),
        ("<tool_call>[]</tool_call>", "", []),
        ("It is sunny.", "It is sunny.", []),
        ('[{"name": "add", "arguments": {"a": 3}}]', "", [{"name": "add", "arguments": {"a": 3}}]),
        ("<tool_call>not json</tool_call>", "<tool_call>not json</tool_call>", []),
        ("Sure. <tool_call>[]</tool_call>", "Sure.", []),
    ],
)  # fmt: skip
def test_replies_are_read_as_text_and_calls(reply: str, content: str, calls: list[object]) -> None:
    assert chatml.parse_reply(reply) == (content, calls)


def test_the_reply_message_has_ids_and_json_string_arguments() -> None:
    message = chatml.message_for("", [{"name": "add", "arguments": {"a": 1}}])
    (call,) = message["tool_calls"]
    assert message["content"] is None
    assert call["id"].startswith("call_")
    assert call["type"] == "function"
    assert json.loads(call["function"]["arguments"]) == {"a": 1}
    assert chatml.message_for("", []) == {"role": "assistant", "content": ""}


def test_forced_calls_schema_lists_each_function_with_its_arguments() -> None:
    schema = chatml.forced_calls_schema([WEATHER["function"], ADD["function"]])
    assert schema["minItems"] == 1
    first, second = schema["items"]["anyOf"]
    assert first["properties"]["name"] == {"const": "get_weather"}
    assert first["properties"]["arguments"] == WEATHER["function"]["parameters"]
    assert second["properties"]["name"] == {"const": "add"}


def test_forced_calls_schema_moves_definitions_to_the_root_where_llama_cpp_resolves_them() -> None:
    """A pydantic model with an enum (pydantic-ai's ``final_result`` tool for ``Person``): its
    ``$defs`` left inside the arguments made llama.cpp's converter fail, and the grammar fell
    back to the names only, leaving the arguments free."""
    pytest.importorskip("llama_cpp")
    from llama_cpp.llama_grammar import LlamaGrammar

    parameters = {
        "type": "object",
        "properties": {"role": {"$ref": "#/$defs/Role"}},
        "required": ["role"],
        "$defs": {"Role": {"enum": ["chef", "doctor"], "type": "string"}},
    }
    schema = chatml.forced_calls_schema([{"name": "final_result", "parameters": parameters}])
    assert schema["$defs"] == parameters["$defs"]
    assert "$defs" not in schema["items"]["properties"]["arguments"]
    assert LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False) is not None


def test_a_stream_carries_the_calls_the_finish_and_the_usage() -> None:
    completion = {
        "id": "x", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "tool_calls",
                     "message": chatml.message_for("", [{"name": "add", "arguments": {}}])}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }  # fmt: skip
    first, finish, usage = server.stream_events(completion, include_usage=True)
    assert first["choices"][0]["delta"]["tool_calls"][0]["index"] == 0
    assert finish["choices"][0]["finish_reason"] == "tool_calls"
    assert usage["usage"]["prompt_tokens"] == 3
    assert len(server.stream_events(completion, include_usage=False)) == 2
