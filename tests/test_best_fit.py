"""The ``best-fit`` decoding (issue 18): the first call of a turn names one of the tools that
share the most words with the task, in the grammar only. The rule without a model; the
embedded model's first step on a file question."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autan import load_model
from autan.agent import DEFAULT_INSTRUCTIONS
from autan.messages import Message, ModelRequest, ToolCall, ToolSpec
from autan.models.decoding import first_call_tools, parse_decode
from autan.models.llama import LlamaModel
from autan.protocols import JsonOutput
from autan.protocols.relevance import best_fitting
from autan.tools.builtin import builtin_tools

CIRCLE = ToolSpec("circle_area", "Area of a circle from its radius.", {"type": "object"})
TRIANGLE = ToolSpec("triangle_area", "Area of a triangle from its sides.", {"type": "object"})
SQUARE = ToolSpec("square_area", "Area of a square from its side.", {"type": "object"})
TOOLS = (CIRCLE, TRIANGLE, SQUARE)
TASK = "What is the area of a triangle with sides 3, 4 and 5?"


def _request(*turn: Message, tools: tuple[ToolSpec, ...] = TOOLS) -> ModelRequest:
    return ModelRequest((Message("system", "Be brief."), *turn), tools, "auto", 64)


def test_the_tools_sharing_the_most_words_ties_kept_none_when_none_shares() -> None:
    assert best_fitting(TASK, TOOLS) == (TRIANGLE,)
    assert best_fitting("What is the area of a shape with one side?", TOOLS) == (TRIANGLE, SQUARE)
    assert best_fitting("Hello there!", TOOLS) == ()


def test_only_the_first_call_of_a_turn_is_narrowed() -> None:
    best = parse_decode("best-fit")
    asked = _request(Message("user", TASK))
    assert first_call_tools(asked, best) == (TRIANGLE,)
    assert first_call_tools(asked, parse_decode(None)) == TOOLS  # opt-in
    assert first_call_tools(_request(Message("user", "Hello there!")), best) == TOOLS
    call = ToolCall("c1", "triangle_area", {})
    called = _request(
        Message("user", TASK),
        Message("assistant", "", (call,)),
        Message("tool", "6", tool_call_id="c1", name="triangle_area"),
    )
    assert first_call_tools(called, best) == TOOLS  # after a call of this turn: any tool


def test_the_grammar_narrows_the_prompt_shows_every_tool(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    model = LlamaModel(gguf, "local", decode="another-call,best-fit")
    asked = _request(Message("user", TASK))
    narrowed = model._first(asked)
    assert narrowed is not None
    first, names = narrowed
    assert names == ("triangle_area",)
    assert isinstance(first, JsonOutput)
    assert "triangle_area" in json.dumps(first.schema)
    assert "circle_area" not in json.dumps(first.schema)
    assert LlamaModel(gguf, "local")._first(asked) is None  # not in the default
    protocol = model.protocol
    assert "circle_area" in "".join(
        m["content"] for m in protocol.render_messages(asked.messages, TOOLS)
    )


@pytest.mark.e2e
def test_the_embedded_model_calls_a_tool_the_question_names(tmp_path: Path) -> None:
    """Without ``best-fit`` the model called ``calculator(expression='12 * 3 + 4')`` for this
    question (everyday set, session 5). With it, the first call is one of the two file tools
    the question's words fit best; which of the two is the model's choice (it took
    ``write_file`` in the everyday run of session 6: a tie ``best-fit`` cannot break)."""
    specs = tuple(tool.spec for tool in builtin_tools(tmp_path))
    model = load_model("local", decode="another-call,relevance,grounded,chat-answer,best-fit")
    task = Message("user", "What is in the file name.txt?")
    response = model.complete(
        ModelRequest((Message("system", DEFAULT_INSTRUCTIONS), task), specs, "auto", 64)
    )
    assert response.tool_calls, response
    assert response.tool_calls[0].name in ("read_file", "write_file"), response
