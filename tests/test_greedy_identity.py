"""The default decoding reads main's prompt under main's grammar, byte for byte (issue 18):
for the README's tools, the built-in tools, a BFCL-like tool, a real BFCL entry's tools and a
schema llama.cpp cannot express (main's last grammar fallback), on a first step and a step
after a result, for each tool choice, the prompt the embedded model renders and the grammar it
compiles equal what main's code produced (tests/fixtures/greedy_identity.json, written by
tests/fixtures/make_greedy_identity.py run on main's source). The opt-in ``text-answer``
wording and grammar must differ, so the check cannot pass by accident. This pins the steps that
show tools; the default's ``relevance`` asks a step no tool fits without them
(tests/test_relevance.py). No model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autan.messages import Message, ToolCall, ToolSpec
from autan.models._llama_grammar import grammar_source
from autan.models.decoding import DEFAULT_DECODE
from autan.models.llama import LlamaModel
from autan.protocols import CONSTRAINED, JsonOutput
from autan.protocols.constrained import CONSTRAINED_TEXT_ANSWERS

FIXTURE = Path(__file__).parent / "fixtures" / "greedy_identity.json"
DATA = json.loads(FIXTURE.read_text())
CASES: list[dict[str, Any]] = DATA["cases"]
GRAMMARS: dict[str, str] = DATA["grammars"]


def _transcript(name: str) -> tuple[Message, ...]:
    """The transcripts of make_greedy_identity.py."""
    system = Message("system", "You are a helpful agent. Be brief.")
    task = Message("user", "What is 21 degrees Celsius in Fahrenheit?")
    call = ToolCall("call_1_0", "convert", {"celsius": 21})
    if name == "first_step":
        return (system, task)
    assert name == "after_a_result"
    result = Message("tool", "69.8", tool_call_id="call_1_0", name="convert")
    return (system, task, Message("assistant", "", (call,)), result)


def _tools(case: dict[str, Any]) -> tuple[ToolSpec, ...]:
    return tuple(ToolSpec(t["name"], t["description"], t["parameters"]) for t in case["tools"])


@pytest.fixture(scope="module")
def default_protocol(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The protocol the embedded model holds under the default decoding (no ``decode``): its
    ``another-call`` decision keeps main's prompt and grammar (``grounded`` narrows path
    parameters of a step's grammar, tests/test_grounded.py; ``chat-answer`` asks again after a
    result, tests/test_chat_answer.py)."""
    gguf = tmp_path_factory.mktemp("gguf") / "m.gguf"
    gguf.write_bytes(b"GGUF")
    model = LlamaModel(gguf, "local")
    assert model.decode == DEFAULT_DECODE
    return model.protocol


def test_the_fixture_covers_the_tool_sets_and_choices() -> None:
    names = {case["name"].split("/")[0] for case in CASES}
    assert {"readme", "builtin", "bfcl_like", "not_expressible"} <= names
    assert {case["choice"] for case in CASES} == {"auto", "required", "none"}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_default_prompt_and_grammar_are_mains(default_protocol: Any, case: dict) -> None:
    tools, messages = _tools(case), _transcript(case["transcript"])
    assert default_protocol.render_messages(messages, tools) == case["prompt"]
    allowed = default_protocol.constraint(tools, case["choice"])
    if case["gbnf"] is None:
        assert allowed is None
        return
    assert isinstance(allowed, JsonOutput)
    assert allowed.schema == case["schema"]
    assert allowed.line == case["line"]
    assert grammar_source(allowed) == GRAMMARS[case["gbnf"]]


def test_the_opt_in_text_answers_differ_from_main() -> None:
    """The check above would catch a change of wording: the opt-in variant's is caught."""
    (case,) = [c for c in CASES if c["name"] == "readme/first_step/auto"]
    tools, messages = _tools(case), _transcript(case["transcript"])
    assert CONSTRAINED_TEXT_ANSWERS.render_messages(messages, tools) != case["prompt"]
    allowed = CONSTRAINED_TEXT_ANSWERS.constraint(tools, "auto")
    assert grammar_source(allowed) != GRAMMARS[case["gbnf"]]
    assert CONSTRAINED.render_messages(messages, tools) == case["prompt"]
