"""Where the decoding strategies plug in: the reply format, the grammars, the options of the
backends and commands, the fixed BFCL split. No model."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan.bench import load_entries
from autan.bench._data import HALVES, half_of
from autan.errors import ConfigurationError
from autan.messages import ToolCall, ToolSpec
from autan.models import load_model
from autan.models._llama_grammar import _gbnf
from autan.models.llama import LlamaModel
from autan.protocols import CONSTRAINED, JsonOutput
from autan.protocols.constrained import (
    CALL_FORMAT,
    CONSTRAINED_TEXT_ANSWERS,
    render_calls,
    system_block,
)

BFCL = Path(__file__).resolve().parents[2] / "shared" / "bench" / "bfcl"
LIST = ToolSpec("list_dir", "List a directory.", {"type": "object", "properties": {}})


def test_the_text_answer_reply_format_has_no_placeholder_to_copy() -> None:
    block = CONSTRAINED_TEXT_ANSWERS.system_block("Be brief.", (LIST,))
    assert "TEXT" not in block
    assert "plain words" in block
    assert system_block("Be brief.", (LIST,)) == CONSTRAINED.system_block("Be brief.", (LIST,))
    assert '{"result": "TEXT"}' in CONSTRAINED.system_block("Be brief.", (LIST,))  # main's


def test_a_text_answer_auto_step_allows_plain_text_and_says_how_calls_are_written() -> None:
    allowed = CONSTRAINED_TEXT_ANSWERS.constraint((LIST,), "auto")
    assert isinstance(allowed, JsonOutput)
    assert allowed.text_answer
    assert allowed.calls == CALL_FORMAT
    required = CONSTRAINED_TEXT_ANSWERS.constraint((LIST,), "required")
    assert isinstance(required, JsonOutput)
    assert not required.text_answer
    assert CONSTRAINED.with_text_answers() is CONSTRAINED_TEXT_ANSWERS


def test_the_default_step_keeps_the_json_answer_and_says_how_calls_are_written() -> None:
    for choice in ("auto", "required"):
        allowed = CONSTRAINED.constraint((LIST,), choice)
        assert isinstance(allowed, JsonOutput)
        assert not allowed.text_answer
        assert allowed.calls == CALL_FORMAT  # for the default's another-call decision
    answer_only = CONSTRAINED.constraint((LIST,), "none")
    assert isinstance(answer_only, JsonOutput)
    assert answer_only.calls is None


def test_the_call_format_tells_a_call_from_the_answer() -> None:
    assert CALL_FORMAT.is_call('{"tool": "list_dir", "arguments": {}}')
    assert CALL_FORMAT.is_call('{ "tool" : "list_dir"')  # the grammar lets blanks vary
    assert not CALL_FORMAT.is_call('{"result": "69.8"}')


def test_the_embedded_model_takes_the_text_answer_protocol_only_when_asked(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert LlamaModel(gguf, "m").protocol is CONSTRAINED
    assert LlamaModel(gguf, "m", decode="greedy").protocol is CONSTRAINED
    assert LlamaModel(gguf, "m", decode="bounded").protocol is CONSTRAINED
    assert LlamaModel(gguf, "m", decode="likelihood").protocol is CONSTRAINED_TEXT_ANSWERS
    assert LlamaModel(gguf, "m", decode="text-answer").protocol is CONSTRAINED_TEXT_ANSWERS


def test_the_call_format_is_how_calls_are_rendered() -> None:
    rendered = render_calls((ToolCall("c", "list_dir", {"path": "."}),))
    assert rendered == CALL_FORMAT.opening("list_dir") + '{"path": "."}' + CALL_FORMAT.closing


def test_grammar_branches() -> None:
    line = {"type": "object", "properties": {"tool": {"const": "list_dir"}}}
    calls_or_text = _gbnf(None, line, True, 8, "")
    assert "[^{ \\t\\n]" in calls_or_text
    assert '("\\n" call){0,7}' in calls_or_text
    arguments = _gbnf({"type": "object"}, None, False, 0, "}")
    assert arguments.rstrip().endswith('one "}"')


def test_servers_take_no_decoding_strategy() -> None:
    with pytest.raises(ConfigurationError, match="need the embedded model"):
        load_model("openai:m@http://127.0.0.1:9/v1", decode="likelihood")
    assert load_model("openai:m@http://127.0.0.1:9/v1", decode="greedy")
    assert load_model("openai:m@http://127.0.0.1:9/v1", decode="default")


def test_a_bad_strategy_is_refused_before_the_model_loads() -> None:
    with pytest.raises(ConfigurationError, match="unknown decoding strategy"):
        load_model("local", decode="beam")


def test_bfcl_halves_are_fixed_and_disjoint() -> None:
    assert half_of("simple_python_0") == half_of("simple_python_0")
    if not BFCL.is_dir():
        pytest.skip("no shared BFCL data")
    every = {e.id for e in load_entries(BFCL, ["simple_python"])}
    halves = [{e.id for e in load_entries(BFCL, ["simple_python"], half=h)} for h in HALVES]
    assert halves[0] | halves[1] == every
    assert not halves[0] & halves[1]
    assert 0.4 < len(halves[0]) / len(every) < 0.6
    with pytest.raises(ConfigurationError, match="half must be"):
        load_entries(BFCL, ["simple_python"], half="other")
